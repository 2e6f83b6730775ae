//! Form/GET success bodies: empty (void), `<string>` or `<boolean>`.

use super::xml::Element;
use crate::error::{DecodeError, excerpt};
use crate::request::{Reply, ReturnKind};

/// A form/GET success body: empty (void), `<string>` or `<boolean>`.
pub fn decode_plain(method: &str, kind: ReturnKind, body: &[u8]) -> Result<Reply, DecodeError> {
    let what = || format!("{method} reply");
    match kind {
        ReturnKind::Void if is_blank(body) => Ok(Reply::Void),
        ReturnKind::Void => Err(DecodeError::Unexpected {
            what: what(),
            expected: "an empty body".into(),
            found: excerpt(&String::from_utf8_lossy(body)),
        }),
        ReturnKind::String => {
            let root = Element::parse(body, &what())?;
            root.expect_name("string", &what())?;
            Ok(Reply::String(root.text))
        }
        ReturnKind::Boolean => {
            let root = Element::parse(body, &what())?;
            root.expect_name("boolean", &what())?;
            parse_bool(&root.text, &what()).map(Reply::Boolean)
        }
    }
}

fn is_blank(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
}

/// An `xsd:boolean` as .NET writes it (`true`/`false`) or reads it (`1`/`0` too).
pub(super) fn parse_bool(text: &str, what: &str) -> Result<bool, DecodeError> {
    match text.trim() {
        t if t.eq_ignore_ascii_case("true") || t == "1" => Ok(true),
        t if t.eq_ignore_ascii_case("false") || t == "0" => Ok(false),
        t => Err(DecodeError::Unexpected {
            what: what.to_owned(),
            expected: "true or false".into(),
            found: if t.is_empty() {
                "nothing".into()
            } else {
                excerpt(t)
            },
        }),
    }
}
