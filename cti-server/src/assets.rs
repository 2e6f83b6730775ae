//! The web pages, embedded at compile time so the binary is self-contained.
//!
//! `web/softphone/` is the Open CTI page (served at `/softphone/`); `web/standin/` is the local
//! Lightning stand-in (served on the demo's second listener only).

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use include_dir::{Dir, include_dir};

use crate::error::AppError;

static WEB: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/web");

/// The bytes of an embedded file, by its path under `web/` (`softphone/index.html`).
#[must_use]
pub fn file(path: &str) -> Option<&'static [u8]> {
    WEB.get_file(path).map(include_dir::File::contents)
}

/// The files directly in the embedded folder `dir`, by name, with their bytes.
pub fn files_in(dir: &str) -> impl Iterator<Item = (&'static str, &'static [u8])> {
    WEB.get_dir(dir)
        .into_iter()
        .flat_map(Dir::files)
        .filter_map(|f| Some((f.path().file_name()?.to_str()?, f.contents())))
}

/// Answers an embedded file under `root` (`softphone`, `standin`); a path ending in `/` or empty
/// serves its `index.html`. Paths with `..` never match (the table only holds real files).
///
/// # Errors
/// [`AppError::NotFound`] when there is no such file.
pub fn serve(root: &str, path: &str) -> Result<Response, AppError> {
    let path = path.trim_start_matches('/');
    let full = if path.is_empty() || path.ends_with('/') {
        format!("{root}/{path}index.html")
    } else {
        format!("{root}/{path}")
    };
    let bytes = file(&full).ok_or(AppError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(mime(&full))),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        bytes,
    )
        .into_response())
}

/// The `GET` handler of a `/…/{*path}` route: the embedded file at `path` under `root`
/// ([`serve`]), so a folder of pages is one route.
pub fn folder<S>(root: &'static str) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    get(move |Path(path): Path<String>| async move { serve(root, &path) })
}

fn mime(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("xml") => "application/xml",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("txt" | "md") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_softphone_index_is_embedded() {
        assert!(file("softphone/index.html").is_some());
        assert!(serve("softphone", "/").is_ok());
        assert!(serve("softphone", "").is_ok());
        assert!(matches!(
            serve("softphone", "../Cargo.toml"),
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            serve("softphone", "nope.js"),
            Err(AppError::NotFound)
        ));
    }
}
