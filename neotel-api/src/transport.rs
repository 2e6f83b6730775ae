//! HTTP transports: "pure encoder + reqwest send + pure decoder", one per binding.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::CONTENT_TYPE;

use crate::codec::{Binding, DEFAULT_PATH, HttpMethod};
use crate::error::{Error, TransportError, error_chain};
use crate::request::{Reply, Request};

/// How long a call may take, connection included, unless configured.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The biggest reply body read, unless configured (a `Position` is about 1.5 KB;
/// task results carry tables).
pub const DEFAULT_MAX_RESPONSE_SIZE: usize = 4 * 1024 * 1024;

/// Carries one NeoApi call and returns the decoded reply.
///
/// Object-safe: used as `Arc<dyn Transport>` so the binding is chosen by
/// configuration and tests can swap in their own.
#[async_trait]
pub trait Transport: Send + Sync + fmt::Debug {
    /// Sends `request` and decodes its answer.
    async fn call(&self, request: &Request) -> Result<Reply, Error>;
}

/// Configures an HTTP transport: base URL, service path, timeout, body size limit.
#[derive(Clone, Debug)]
pub struct HttpTransportBuilder {
    base_url: String,
    path: String,
    timeout: Duration,
    max_response_size: usize,
}

impl HttpTransportBuilder {
    /// Starts from the server's base URL, e.g. `http://neotel.example:8080`.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            path: DEFAULT_PATH.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
        }
    }

    /// The service path (default `/neoapi/webservice.asmx`; installs differ, e.g.
    /// `/NEOAPI/webservice.asmx`, `/neotel/neoapi/webservice.asmx`).
    #[must_use]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// The whole call's time limit (default 10 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The biggest body accepted (default 4 MiB); a bigger one is refused without reading it all.
    #[must_use]
    pub fn max_response_size(mut self, bytes: usize) -> Self {
        self.max_response_size = bytes;
        self
    }

    /// The form-POST transport (the default binding).
    pub fn build_form(self) -> Result<FormTransport, Error> {
        self.http().map(FormTransport)
    }

    /// The HTTP GET transport. It puts `CLAVE` in the URL; prefer form or SOAP.
    pub fn build_get(self) -> Result<GetTransport, Error> {
        self.http().map(GetTransport)
    }

    /// The SOAP 1.1 transport.
    pub fn build_soap(self) -> Result<SoapTransport, Error> {
        self.http().map(SoapTransport)
    }

    /// The transport of a binding chosen at run time.
    pub fn build(self, binding: Binding) -> Result<Arc<dyn Transport>, Error> {
        Ok(match binding {
            Binding::Form => Arc::new(self.build_form()?),
            Binding::Get => Arc::new(self.build_get()?),
            Binding::Soap => Arc::new(self.build_soap()?),
        })
    }

    fn http(self) -> Result<Http, Error> {
        let config = |what: String| Error::Transport(TransportError::Config(what));
        let base = reqwest::Url::parse(self.base_url.trim())
            .map_err(|e| config(format!("base URL {:?}: {e}", self.base_url)))?;
        if !matches!(base.scheme(), "http" | "https") || base.query().is_some() {
            return Err(config(format!(
                "base URL {:?}: expected http(s)://host[:port][/prefix] without a query",
                self.base_url
            )));
        }
        let path = self.path.trim().trim_end_matches('/');
        if !path.is_empty() && !path.starts_with('/') {
            return Err(config(format!("path {:?} must start with '/'", self.path)));
        }
        let endpoint = format!("{}{path}", base.as_str().trim_end_matches('/'));
        let client = reqwest::Client::builder()
            .timeout(self.timeout)
            .build()
            .map_err(|e| config(format!("HTTP client: {}", error_chain(&e))))?;
        Ok(Http {
            client,
            endpoint,
            max_response_size: self.max_response_size,
        })
    }
}

/// What the three transports share: a reqwest client and the service endpoint.
#[derive(Clone, Debug)]
struct Http {
    client: reqwest::Client,
    endpoint: String,
    max_response_size: usize,
}

impl Http {
    async fn call(&self, binding: Binding, request: &Request) -> Result<Reply, Error> {
        let encoded = binding.encode(request);
        let mut url = format!("{}{}", self.endpoint, encoded.path);
        if let Some(query) = &encoded.query {
            url.push('?');
            url.push_str(query);
        }
        let mut builder = match encoded.http_method {
            HttpMethod::Get => self.client.get(url),
            HttpMethod::Post => self.client.post(url).body(encoded.body),
        };
        if let Some(content_type) = encoded.content_type {
            builder = builder.header(CONTENT_TYPE, content_type);
        }
        if let Some(action) = encoded.soap_action {
            builder = builder.header("SOAPAction", action);
        }
        let mut response = builder.send().await.map_err(network)?;
        let status = response.status().as_u16();
        let too_large = Error::Transport(TransportError::TooLarge {
            limit: self.max_response_size,
        });
        if response
            .content_length()
            .is_some_and(|len| len > self.max_response_size as u64)
        {
            return Err(too_large);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(network)? {
            if body.len() + chunk.len() > self.max_response_size {
                return Err(too_large);
            }
            body.extend_from_slice(&chunk);
        }
        tracing::trace!(status, bytes = body.len(), "NeoApi answered");
        binding.decode(request, status, &body)
    }
}

/// A reqwest error as text, without the URL (a GET URL can hold `CLAVE`).
fn network(e: reqwest::Error) -> Error {
    if e.is_timeout() {
        Error::Timeout
    } else if e.is_connect() {
        // The connection was never made: NeoApi got nothing.
        Error::Transport(TransportError::NotSent(error_chain(&e.without_url())))
    } else {
        Error::Transport(TransportError::Network(error_chain(&e.without_url())))
    }
}

macro_rules! transport {
    ($(#[$doc:meta])* $name:ident, $binding:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name(Http);

        impl $name {
            /// A builder for this transport.
            pub fn builder(base_url: impl Into<String>) -> HttpTransportBuilder {
                HttpTransportBuilder::new(base_url)
            }
        }

        #[async_trait]
        impl Transport for $name {
            async fn call(&self, request: &Request) -> Result<Reply, Error> {
                self.0.call($binding, request).await
            }
        }
    };
}

transport!(
    /// NeoApi over HTTP POST with form bodies (`…/webservice.asmx/{Method}`), the default.
    FormTransport,
    Binding::Form
);
transport!(
    /// NeoApi over HTTP GET (`…/webservice.asmx/{Method}?P=v`).
    GetTransport,
    Binding::Get
);
transport!(
    /// NeoApi over SOAP 1.1 (`POST …/webservice.asmx`, `SOAPAction` header).
    SoapTransport,
    Binding::Soap
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_validates() {
        assert!(HttpTransportBuilder::new("ftp://x").build_form().is_err());
        assert!(HttpTransportBuilder::new("not a url").build_form().is_err());
        assert!(
            HttpTransportBuilder::new("http://x")
                .path("neoapi")
                .build_form()
                .is_err()
        );
        let t = HttpTransportBuilder::new("http://127.0.0.1:9/")
            .path("/NEOAPI/webservice.asmx/")
            .build_soap()
            .expect("valid");
        assert_eq!(t.0.endpoint, "http://127.0.0.1:9/NEOAPI/webservice.asmx");
    }
}
