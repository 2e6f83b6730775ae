//! The call center definition file: `<callCenter>` → `<section>` → `<item>`, order, names,
//! labels and values kept as written. Parsed from the XML an admin imports, or from the flat
//! map `sforce.opencti.getCallCenterSettings()` returns; written back as XML.

use std::collections::BTreeMap;
use std::fmt;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// What kind of problem a call center definition has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ProblemKind {
    /// The XML is not well-formed, or not a `<callCenter>`.
    Syntax,
    /// A `sortOrder` is missing, not a number, duplicated or leaves a gap.
    SortOrder,
    /// A `name` is empty, not alphanumeric, too long or reserved.
    Name,
    /// A `label` is longer than Salesforce allows.
    Label,
    /// A required section or item is missing or out of place.
    Missing,
    /// A value Salesforce or the connector does not accept.
    Value,
}

/// One problem of a call center definition, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// What kind of problem.
    pub kind: ProblemKind,
    /// The section it is in, if any.
    pub section: Option<String>,
    /// The item it is about, if any.
    pub item: Option<String>,
    /// Line in the XML (1-based), when read from XML.
    pub line: Option<u32>,
    /// Column in the XML (1-based), for syntax problems.
    pub column: Option<u32>,
    /// What is wrong, in words an admin understands.
    pub message: String,
}

impl Problem {
    pub(crate) fn new(kind: ProblemKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            section: None,
            item: None,
            line: None,
            column: None,
            message: message.into(),
        }
    }

    pub(crate) fn at(mut self, section: Option<&Section>, item: Option<&Item>) -> Self {
        if let Some(s) = section {
            self.section = Some(s.name.clone());
            self.line = s.line;
        }
        if let Some(i) = item {
            self.item = Some(i.name.clone());
            self.line = i.line.or(self.line);
        }
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}")?;
            if let Some(col) = self.column {
                write!(f, ", column {col}")?;
            }
            f.write_str(": ")?;
        }
        match (&self.section, &self.item) {
            (Some(s), Some(i)) => write!(f, "{s}/{i}: ")?,
            (Some(s), None) => write!(f, "{s}: ")?,
            _ => {}
        }
        f.write_str(&self.message)
    }
}

/// A whole call center definition.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallCenter {
    /// Its sections, in file order.
    pub sections: Vec<Section>,
}

/// A `<section>`.
#[derive(Debug, Clone, Eq, Default)]
pub struct Section {
    /// `name`.
    pub name: String,
    /// `label` (may be empty).
    pub label: String,
    /// `sortOrder`.
    pub sort_order: u32,
    /// Its items, in file order.
    pub items: Vec<Item>,
    /// Line in the XML it was read from.
    pub line: Option<u32>,
}

/// An `<item>`: one setting, its value the element text.
#[derive(Debug, Clone, Eq, Default)]
pub struct Item {
    /// `name`.
    pub name: String,
    /// `label` (may be empty).
    pub label: String,
    /// `sortOrder`.
    pub sort_order: u32,
    /// The value.
    pub value: String,
    /// Line in the XML it was read from.
    pub line: Option<u32>,
}

// Where a section or item was read from is not part of what it says.
impl PartialEq for Section {
    fn eq(&self, o: &Self) -> bool {
        (&self.name, &self.label, self.sort_order, &self.items)
            == (&o.name, &o.label, o.sort_order, &o.items)
    }
}

impl PartialEq for Item {
    fn eq(&self, o: &Self) -> bool {
        (&self.name, &self.label, self.sort_order, &self.value)
            == (&o.name, &o.label, o.sort_order, &o.value)
    }
}

impl CallCenter {
    /// The section of that name.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The value of `section/item`.
    pub fn value(&self, section: &str, item: &str) -> Option<&str> {
        self.section(section)?.item(item).map(|i| i.value.as_str())
    }

    /// Reads the XML an admin imports. Syntax problems carry line and column; sortOrder
    /// attributes that are not numbers are reported too, all at once.
    pub fn parse_xml(xml: &str) -> Result<Self, Vec<Problem>> {
        let mut reader = Reader::from_str(xml);
        let mut problems = Vec::new();
        let mut cc = Self::default();
        let mut root_seen = false;
        // depth: 0 outside, 1 in callCenter, 2 in section, 3 in item
        let mut depth = 0usize;
        // (offset, its line), moved forward event by event: one pass over the text, not one per event
        let mut counted = (0usize, 1u32);
        let syntax = |pos: u64, message: String| {
            let (line, column) = line_col(xml, pos);
            let mut p = Problem::new(ProblemKind::Syntax, message);
            p.line = Some(line);
            p.column = Some(column);
            p
        };
        loop {
            let pos = reader.buffer_position();
            let event = match reader.read_event() {
                Ok(e) => e,
                Err(e) => {
                    problems.push(syntax(
                        reader.error_position(),
                        format!("malformed XML: {e}"),
                    ));
                    return Err(problems);
                }
            };
            let at = usize::try_from(pos).unwrap_or(usize::MAX).min(xml.len());
            let newlines = xml
                .as_bytes()
                .get(counted.0..at)
                .map_or(0, |s| s.iter().filter(|b| **b == b'\n').count());
            counted = (
                at.max(counted.0),
                counted
                    .1
                    .saturating_add(u32::try_from(newlines).unwrap_or(u32::MAX)),
            );
            let line = counted.1;
            let self_closing = matches!(event, Event::Empty(_));
            match event {
                Event::Start(e) | Event::Empty(e) if depth == 0 => {
                    if e.local_name().as_ref() != b"callCenter" {
                        problems.push(syntax(
                            pos,
                            format!(
                                "the root element must be <callCenter>, not <{}>",
                                name_of(&e)
                            ),
                        ));
                        return Err(problems);
                    }
                    root_seen = true;
                    depth = 1;
                }
                Event::Start(e) | Event::Empty(e)
                    if depth == 1 && e.local_name().as_ref() == b"section" =>
                {
                    let (name, label, order) = attributes(&e, line, &mut problems);
                    cc.sections.push(Section {
                        name,
                        label,
                        sort_order: order,
                        items: Vec::new(),
                        line: Some(line),
                    });
                    if !self_closing {
                        depth = 2;
                    }
                }
                Event::Start(e) | Event::Empty(e)
                    if depth == 2 && e.local_name().as_ref() == b"item" =>
                {
                    let (name, label, order) = attributes(&e, line, &mut problems);
                    let section = cc.sections.last_mut().expect("depth 2 is inside a section");
                    section.items.push(Item {
                        name,
                        label,
                        sort_order: order,
                        value: String::new(),
                        line: Some(line),
                    });
                    if !self_closing {
                        depth = 3;
                    }
                }
                Event::Text(t) if depth == 3 => {
                    let text = t
                        .decode()
                        .map_err(|e| vec![syntax(pos, format!("bad text: {e}"))])?;
                    let text = quick_xml::escape::unescape(&text)
                        .map_err(|e| vec![syntax(pos, format!("bad entity: {e}"))])?;
                    push_value(&mut cc, &text);
                }
                Event::GeneralRef(r) if depth == 3 => {
                    let name = r
                        .decode()
                        .map_err(|e| vec![syntax(pos, format!("bad entity: {e}"))])?;
                    let entity = format!("&{name};");
                    let text = quick_xml::escape::unescape(&entity)
                        .map_err(|e| vec![syntax(pos, format!("bad entity: {e}"))])?;
                    push_value(&mut cc, &text);
                }
                Event::CData(c) if depth == 3 => push_value(&mut cc, &String::from_utf8_lossy(&c)),
                Event::Start(e) | Event::Empty(e) if depth >= 1 => {
                    problems.push(syntax(pos, format!("unexpected <{}> here: a <callCenter> holds <section>s, which hold <item>s", name_of(&e))));
                    return Err(problems);
                }
                Event::End(_) => depth = depth.saturating_sub(1),
                Event::Eof => break,
                _ => {}
            }
        }
        if !root_seen {
            problems.push(Problem::new(
                ProblemKind::Syntax,
                "no <callCenter> element: the file is empty or not a call center definition",
            ));
        }
        if problems.is_empty() {
            Ok(cc)
        } else {
            Err(problems)
        }
    }

    /// Reads the flat map `getCallCenterSettings()` returns: `/section/item` → value,
    /// `/section/item/label`, `/section/item/sortOrder` (`"2.0"`), `/section/label`,
    /// `/section/sortOrder`. Items without a sortOrder key keep their key order after the others.
    pub fn from_settings(map: &BTreeMap<String, String>) -> Result<Self, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut sections: BTreeMap<String, SettingsSection> = BTreeMap::new();
        let order = |key: &str, v: &str, problems: &mut Vec<Problem>| -> Option<u32> {
            let n: Option<f64> = v.trim().parse().ok();
            match n {
                Some(n) if n >= 0.0 && n.fract() == 0.0 && n < f64::from(u32::MAX) => {
                    Some(n as u32)
                }
                _ => {
                    problems.push(Problem::new(
                        ProblemKind::SortOrder,
                        format!("{key}: sortOrder \"{v}\" is not a whole number"),
                    ));
                    None
                }
            }
        };
        for (key, value) in map {
            let parts: Vec<&str> = key.trim_start_matches('/').split('/').collect();
            match parts.as_slice() {
                [_] => {} // /displayNameLabel, /internalNameLabel, /label: not part of sections
                [section, attr] if *attr == "label" || *attr == "sortOrder" => {
                    let entry = section_of(&mut sections, section);
                    if *attr == "label" {
                        entry.0.label = value.clone();
                    } else if let Some(n) = order(key, value, &mut problems) {
                        entry.0.sort_order = n;
                    }
                }
                [section, item] => {
                    let entry = section_of(&mut sections, section);
                    let it = item_of(entry, item);
                    it.value = value.clone();
                }
                [section, item, attr] if *attr == "label" || *attr == "sortOrder" => {
                    let entry = section_of(&mut sections, section);
                    let it = item_of(entry, item);
                    if *attr == "label" {
                        it.label = value.clone();
                    } else if let Some(n) = order(key, value, &mut problems) {
                        it.sort_order = n;
                    }
                }
                _ => problems.push(Problem::new(
                    ProblemKind::Syntax,
                    format!("setting key \"{key}\" is not /section/item[/label|/sortOrder]"),
                )),
            }
        }
        let mut out: Vec<Section> = sections
            .into_values()
            .map(|(mut s, items)| {
                let mut items: Vec<Item> = items.into_values().collect();
                items.sort_by_key(|i| i.sort_order);
                // Salesforce leaves out sortOrder for reqInternalName/reqDisplayName: give them their fixed places.
                let mut next = 0;
                for i in &mut items {
                    if i.sort_order == u32::MAX {
                        i.sort_order = match i.name.as_str() {
                            "reqInternalName" => 0,
                            "reqDisplayName" => 1,
                            _ => next,
                        };
                    }
                    next = i.sort_order + 1;
                }
                items.sort_by_key(|i| i.sort_order);
                s.items = items;
                s
            })
            .collect();
        out.sort_by_key(|s| s.sort_order);
        if problems.is_empty() {
            Ok(Self { sections: out })
        } else {
            Err(problems)
        }
    }

    /// The XML for this definition (what an admin imports).
    pub fn to_xml(&self) -> String {
        let esc = |s: &str| quick_xml::escape::escape(s).into_owned();
        let mut out = String::from("<callCenter>\n");
        for s in &self.sections {
            out.push_str(&format!(
                "  <section sortOrder=\"{}\" name=\"{}\" label=\"{}\">\n",
                s.sort_order,
                esc(&s.name),
                esc(&s.label)
            ));
            for i in &s.items {
                out.push_str(&format!(
                    "    <item sortOrder=\"{}\" name=\"{}\" label=\"{}\">{}</item>\n",
                    i.sort_order,
                    esc(&i.name),
                    esc(&i.label),
                    esc(&i.value)
                ));
            }
            out.push_str("  </section>\n");
        }
        out.push_str("</callCenter>\n");
        out
    }
}

impl Section {
    /// The item of that name.
    pub fn item(&self, name: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.name == name)
    }
}

type SettingsSection = (Section, BTreeMap<String, Item>);

/// The section a settings key names, created on first sight.
fn section_of<'a>(
    sections: &'a mut BTreeMap<String, SettingsSection>,
    name: &str,
) -> &'a mut SettingsSection {
    sections.entry(name.to_owned()).or_insert_with(|| {
        (
            Section {
                name: name.to_owned(),
                ..Section::default()
            },
            BTreeMap::new(),
        )
    })
}

/// The item a settings key names, created on first sight (no sortOrder known yet).
fn item_of<'a>(section: &'a mut SettingsSection, name: &str) -> &'a mut Item {
    section.1.entry(name.to_owned()).or_insert_with(|| Item {
        name: name.to_owned(),
        sort_order: u32::MAX,
        ..Item::default()
    })
}

fn push_value(cc: &mut CallCenter, text: &str) {
    if let Some(item) = cc.sections.last_mut().and_then(|s| s.items.last_mut()) {
        item.value.push_str(text);
    }
}

fn name_of(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.name().as_ref()).into_owned()
}

/// `name`, `label`, `sortOrder` of a section or item; a bad or missing sortOrder is a problem.
fn attributes(e: &BytesStart<'_>, line: u32, problems: &mut Vec<Problem>) -> (String, String, u32) {
    let (mut name, mut label, mut order) = (String::new(), String::new(), None::<String>);
    for attr in e.attributes().flatten() {
        let value = attr
            .unescape_value()
            .map(|v| v.into_owned())
            .unwrap_or_default();
        match attr.key.local_name().as_ref() {
            b"name" => name = value,
            b"label" => label = value,
            b"sortOrder" => order = Some(value),
            _ => {}
        }
    }
    let tag = name_of(e);
    let sort_order = match order.as_deref().map(str::trim) {
        Some(v) => v.parse::<u32>().unwrap_or_else(|_| {
            let mut p = Problem::new(
                ProblemKind::SortOrder,
                format!(
                    "<{tag} name=\"{name}\">: sortOrder \"{v}\" is not a non-negative whole number"
                ),
            );
            p.line = Some(line);
            problems.push(p);
            0
        }),
        None => {
            let mut p = Problem::new(
                ProblemKind::SortOrder,
                format!("<{tag} name=\"{name}\"> has no sortOrder"),
            );
            p.line = Some(line);
            problems.push(p);
            0
        }
    };
    (name, label, sort_order)
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, pos: u64) -> (u32, u32) {
    let pos = usize::try_from(pos).unwrap_or(usize::MAX).min(text.len());
    let before = &text.as_bytes()[..pos];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let col = pos
        - before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1)
        + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(col).unwrap_or(u32::MAX),
    )
}
