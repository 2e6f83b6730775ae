//! A tiny read-only XML tree over quick-xml, enough for NeoApi's replies: local names,
//! direct text with entities decoded, children; bounded depth, never a panic.

use std::borrow::Cow;

use quick_xml::events::Event;
use quick_xml::{Reader, escape};

use crate::error::{DecodeError, excerpt};

/// Deepest XML nesting accepted in a reply (NeoApi's go three levels deep).
const MAX_DEPTH: usize = 32;

/// A tiny read-only XML tree: local names, direct text (entities decoded), children.
#[derive(Debug, Default)]
pub(super) struct Element {
    pub(super) name: String,
    pub(super) text: String,
    pub(super) children: Vec<Self>,
}

impl Element {
    /// Parses a whole body (UTF-8, one root element); `what` names it in errors.
    pub(super) fn parse(body: &[u8], what: &str) -> Result<Self, DecodeError> {
        let xml_err = |detail: String| DecodeError::Xml {
            what: what.to_owned(),
            detail,
        };
        let text = std::str::from_utf8(body).map_err(|e| xml_err(e.to_string()))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = Reader::from_str(text);
        let mut stack: Vec<Self> = Vec::new();
        let mut root: Option<Self> = None;
        let mut attach = |el: Self, stack: &mut Vec<Self>| -> Result<(), DecodeError> {
            match stack.last_mut() {
                Some(parent) => parent.children.push(el),
                None if root.is_none() => root = Some(el),
                None => return Err(xml_err("more than one root element".into())),
            }
            Ok(())
        };
        let push_text = |stack: &mut Vec<Self>, s: &str| -> Result<(), DecodeError> {
            match stack.last_mut() {
                Some(top) => top.text.push_str(s),
                None if s.trim().is_empty() => {}
                None => return Err(xml_err("text outside the root element".into())),
            }
            Ok(())
        };
        loop {
            let event = reader.read_event().map_err(|e| xml_err(e.to_string()))?;
            match event {
                Event::Start(e) => {
                    if stack.len() >= MAX_DEPTH {
                        return Err(xml_err(format!("nested deeper than {MAX_DEPTH}")));
                    }
                    stack.push(Self::named(e.local_name().as_ref()));
                }
                Event::Empty(e) => attach(Self::named(e.local_name().as_ref()), &mut stack)?,
                Event::End(_) => {
                    let el = stack
                        .pop()
                        .ok_or_else(|| xml_err("closing tag without opening".into()))?;
                    attach(el, &mut stack)?;
                }
                Event::Text(t) => {
                    let s = t.xml10_content().map_err(|e| xml_err(e.to_string()))?;
                    push_text(&mut stack, &s)?;
                }
                Event::CData(c) => {
                    let s = c.decode().map_err(|e| xml_err(e.to_string()))?;
                    push_text(&mut stack, &s)?;
                }
                Event::GeneralRef(r) => {
                    let resolved: Cow<'_, str> = match r.resolve_char_ref() {
                        Ok(Some(ch)) => ch.to_string().into(),
                        Ok(None) => {
                            let name = r.decode().map_err(|e| xml_err(e.to_string()))?;
                            escape::resolve_predefined_entity(&name)
                                .ok_or_else(|| xml_err(format!("unknown entity &{name};")))?
                                .into()
                        }
                        Err(e) => return Err(xml_err(e.to_string())),
                    };
                    push_text(&mut stack, &resolved)?;
                }
                Event::Eof => break,
                Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
            }
        }
        if !stack.is_empty() {
            return Err(xml_err("unclosed element".into()));
        }
        root.ok_or_else(|| xml_err("no root element".into()))
    }

    fn named(name: &[u8]) -> Self {
        Self {
            name: String::from_utf8_lossy(name).into_owned(),
            ..Self::default()
        }
    }

    /// The text of this element and all below it, in document order (roughly).
    pub(super) fn all_text(&self) -> String {
        let mut out = self.text.clone();
        for c in &self.children {
            out.push(' ');
            out.push_str(&c.all_text());
        }
        out
    }

    /// The first child of that local name.
    pub(super) fn child(&self, name: &str) -> Option<&Self> {
        self.children.iter().find(|c| c.name == name)
    }

    /// An `Unexpected` error unless this element has that local name.
    pub(super) fn expect_name(&self, name: &str, what: &str) -> Result<(), DecodeError> {
        if self.name == name {
            Ok(())
        } else {
            Err(DecodeError::Unexpected {
                what: what.to_owned(),
                expected: format!("<{name}>"),
                found: format!("<{}>", excerpt(&self.name)),
            })
        }
    }

    /// The children's names, for an error's `found`.
    pub(super) fn describe_children(&self) -> String {
        let names: Vec<String> = self
            .children
            .iter()
            .map(|c| format!("<{}>", c.name))
            .collect();
        excerpt(&if names.is_empty() {
            format!("nothing inside <{}>", self.name)
        } else {
            names.join(", ")
        })
    }
}
