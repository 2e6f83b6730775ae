//! The form body and GET query: `NAME=value&…`, percent-encoded as UTF-8.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::request::Request;

/// Everything but RFC 3986 unreserved characters is percent-encoded (UTF-8), so
/// `CAMPAÑA` goes as `CAMPA%C3%91A` and a space as `%20`.
pub(super) const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `application/x-www-form-urlencoded` body (also the GET query): `NAME=value&…`,
/// names and values percent-encoded as UTF-8.
#[must_use]
pub fn encode_form(request: &Request) -> String {
    let mut out = String::new();
    for (i, p) in request.params().iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.extend(utf8_percent_encode(p.name, COMPONENT));
        out.push('=');
        out.extend(utf8_percent_encode(&p.value, COMPONENT));
    }
    out
}
