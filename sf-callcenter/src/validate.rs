//! Salesforce's rules for a call center definition and the connector's own, checked all at
//! once into the typed [`Config`]; and the definition generated for an install.

use serde::Serialize;

use crate::model::{CallCenter, Item, Problem, ProblemKind, Section};
use crate::options::{DialingOptions, OPTION_ITEMS, Options, parse_bool, set_option};

/// The section holding the connector's options (the seed's name).
pub const OPTIONS_SECTION: &str = "neotelConfigOptions";
/// Salesforce's required section.
pub const GENERAL_SECTION: &str = "reqGeneralInfo";
/// The conventional dialing section.
pub const DIALING_SECTION: &str = "reqDialingOptions";

/// `req*` names Salesforce defines (sections and items); any other `req*` name is reserved.
const KNOWN_REQ: [&str; 16] = [
    "reqGeneralInfo",
    "reqDialingOptions",
    "reqInternalName",
    "reqDisplayName",
    "reqAdapterUrl",
    "reqUseApi",
    "reqSoftphoneHeight",
    "reqSoftphoneWidth",
    "reqSalesforceCompatibilityMode",
    "reqStandbyUrl",
    "reqTimeout",
    "reqCanvasNamespace",
    "reqCanvasApiName",
    "reqOutsidePrefix",
    "reqLongDistPrefix",
    "reqInternationalPrefix",
];
const RESERVED: [&str; 4] = [
    "label",
    "sortOrder",
    "internalNameLabel",
    "displayNameLabel",
];

/// Where the softphone shows (`reqSalesforceCompatibilityMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub enum CompatibilityMode {
    /// Salesforce Classic only (Salesforce's default when absent).
    Classic,
    /// Lightning Experience.
    #[default]
    Lightning,
    /// Both.
    #[serde(rename = "Classic_and_Lightning")]
    ClassicAndLightning,
}

impl CompatibilityMode {
    /// As written in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Classic => "Classic",
            Self::Lightning => "Lightning",
            Self::ClassicAndLightning => "Classic_and_Lightning",
        }
    }
}

/// The `reqGeneralInfo` section, typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GeneralInfo {
    /// `reqInternalName`.
    pub internal_name: String,
    /// `reqDisplayName`.
    pub display_name: String,
    /// `reqAdapterUrl`: where the softphone page is served.
    pub adapter_url: String,
    /// `reqUseApi`.
    pub use_api: bool,
    /// `reqSoftphoneHeight`, px.
    pub height: u32,
    /// `reqSoftphoneWidth`, px.
    pub width: u32,
    /// `reqSalesforceCompatibilityMode`.
    pub mode: CompatibilityMode,
    /// `reqStandbyUrl` + `reqTimeout` (ms).
    pub standby: Option<(String, u32)>,
}

/// A call center definition, typed and checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    /// Salesforce's general information.
    pub general: GeneralInfo,
    /// The connector's options (the seed's values where items are missing).
    pub options: Options,
    /// Dialing prefixes.
    pub dialing: DialingOptions,
}

/// Reads and checks call center XML: every problem at once, or the typed configuration.
pub fn check(xml: &str) -> Result<Config, Vec<Problem>> {
    CallCenter::parse_xml(xml)?.validate()
}

pub(crate) fn is_alphanumeric(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric())
}

impl CallCenter {
    /// Checks Salesforce's rules and the connector's; all problems at once.
    pub fn validate(&self) -> Result<Config, Vec<Problem>> {
        let mut problems = Vec::new();
        check_orders(
            self.sections.iter().map(|s| (s.sort_order, s.line)),
            None,
            &mut problems,
        );
        for s in &self.sections {
            check_name(&s.name, Some(s), None, &KNOWN_REQ, &mut problems);
            check_label(&s.label, Some(s), None, &mut problems);
            check_orders(
                s.items.iter().map(|i| (i.sort_order, i.line)),
                Some(s),
                &mut problems,
            );
            for i in &s.items {
                check_name(&i.name, Some(s), Some(i), &KNOWN_REQ, &mut problems);
                check_label(&i.label, Some(s), Some(i), &mut problems);
            }
            let mut seen = std::collections::BTreeSet::new();
            for i in &s.items {
                if !seen.insert(&i.name) {
                    problems.push(
                        Problem::new(ProblemKind::Name, "this item appears twice")
                            .at(Some(s), Some(i)),
                    );
                }
            }
        }
        let general = self.general(&mut problems);
        let options = self.options(&mut problems);
        let dialing = self.dialing();
        match general {
            Some(general) if problems.is_empty() => Ok(Config {
                general,
                options,
                dialing,
            }),
            _ => Err(problems),
        }
    }

    /// Only the connector's own sections (`neotelConfigOptions`, `reqDialingOptions`), checked:
    /// what the softphone needs at run time, whatever Salesforce's general items say.
    pub fn connector_options(&self) -> Result<(Options, DialingOptions), Vec<Problem>> {
        let mut problems = Vec::new();
        if let Some(s) = self.section(OPTIONS_SECTION) {
            for i in &s.items {
                check_name(&i.name, Some(s), Some(i), &KNOWN_REQ, &mut problems);
            }
        }
        let options = self.options(&mut problems);
        if problems.is_empty() {
            Ok((options, self.dialing()))
        } else {
            Err(problems)
        }
    }

    fn dialing(&self) -> DialingOptions {
        self.section(DIALING_SECTION)
            .map(|d| DialingOptions {
                outside_prefix: value(d, "reqOutsidePrefix"),
                long_distance_prefix: value(d, "reqLongDistPrefix"),
                international_prefix: value(d, "reqInternationalPrefix"),
            })
            .unwrap_or_default()
    }

    fn general(&self, problems: &mut Vec<Problem>) -> Option<GeneralInfo> {
        let Some(s) = self.section(GENERAL_SECTION) else {
            problems.push(
                Problem::new(
                    ProblemKind::Missing,
                    "the required section reqGeneralInfo is missing",
                )
                .at(None, None),
            );
            return None;
        };
        let missing = |name: &str, problems: &mut Vec<Problem>| -> Option<Item> {
            let item = s.item(name).cloned();
            if item.is_none() {
                let mut p = Problem::new(
                    ProblemKind::Missing,
                    format!("the required item {name} is missing"),
                )
                .at(Some(s), None);
                p.item = Some(name.to_owned());
                problems.push(p);
            }
            item
        };
        let internal = missing("reqInternalName", problems);
        let display = missing("reqDisplayName", problems);
        let adapter = missing("reqAdapterUrl", problems);
        let use_api = missing("reqUseApi", problems);
        let height = missing("reqSoftphoneHeight", problems);
        let width = missing("reqSoftphoneWidth", problems);
        let bad =
            |i: &Item, msg: String| Problem::new(ProblemKind::Value, msg).at(Some(s), Some(i));
        // Salesforce's rule: reqInternalName is item 0 and reqDisplayName item 1
        let at_order = |i: &Item, order: u32, problems: &mut Vec<Problem>| {
            if i.sort_order != order {
                problems.push(
                    Problem::new(
                        ProblemKind::SortOrder,
                        format!("{} must have sortOrder {order}", i.name),
                    )
                    .at(Some(s), Some(i)),
                );
            }
        };
        let before = problems.len();

        if let Some(i) = &internal {
            at_order(i, 0, problems);
            let v = i.value.trim();
            if v.is_empty()
                || v.len() > 40
                || !is_alphanumeric(v)
                || !v.starts_with(|c: char| c.is_ascii_alphabetic())
            {
                problems.push(bad(i, format!("\"{v}\": the internal name is 1 to 40 letters and digits, starting with a letter")));
            }
        }
        if let Some(i) = &display {
            at_order(i, 1, problems);
            if i.value.trim().is_empty() || i.value.chars().count() > 1000 {
                problems.push(bad(i, "the display name is 1 to 1000 characters".into()));
            }
        }
        let mode = match s.item("reqSalesforceCompatibilityMode") {
            None => CompatibilityMode::Classic,
            Some(i) => match i.value.trim() {
                "Classic" => CompatibilityMode::Classic,
                "Lightning" => CompatibilityMode::Lightning,
                "Classic_and_Lightning" => CompatibilityMode::ClassicAndLightning,
                other => {
                    problems.push(bad(
                        i,
                        format!("\"{other}\" is not Classic, Lightning or Classic_and_Lightning"),
                    ));
                    CompatibilityMode::Lightning
                }
            },
        };
        if mode == CompatibilityMode::Classic {
            let mut p = Problem::new(ProblemKind::Value, "this connector is a Lightning softphone: reqSalesforceCompatibilityMode must be Lightning or Classic_and_Lightning").at(Some(s), s.item("reqSalesforceCompatibilityMode"));
            p.item = Some("reqSalesforceCompatibilityMode".into());
            problems.push(p);
        }
        let lightning = mode != CompatibilityMode::Classic;
        if let Some(i) = &adapter {
            let v = i.value.trim();
            if lightning && !v.starts_with("https://") {
                problems.push(bad(
                    i,
                    format!("\"{v}\": Lightning loads the softphone only from an https:// URL"),
                ));
            } else if v.is_empty() {
                problems.push(bad(i, "the adapter URL is empty".into()));
            }
        }
        let use_api_value = use_api.as_ref().and_then(|i| {
            parse_bool(&i.value)
                .map_err(|e| problems.push(bad(i, e)))
                .ok()
        });
        let number = |i: &Option<Item>,
                      lo: u32,
                      hi: u32,
                      what: &str,
                      problems: &mut Vec<Problem>|
         -> Option<u32> {
            let i = i.as_ref()?;
            match i.value.trim().parse::<u32>() {
                Ok(n) if !lightning || (lo..=hi).contains(&n) => Some(n),
                _ => {
                    problems.push(bad(
                        i,
                        format!(
                            "\"{}\": the softphone {what} is {lo} to {hi} pixels in Lightning",
                            i.value.trim()
                        ),
                    ));
                    None
                }
            }
        };
        let h = number(&height, 240, 2560, "height", problems);
        let w = number(&width, 200, 1920, "width", problems);
        let standby = match (s.item("reqStandbyUrl"), s.item("reqTimeout")) {
            (None, None) => None,
            (Some(u), Some(t)) => match t.value.trim().parse::<u32>() {
                Ok(ms) => Some((u.value.trim().to_owned(), ms)),
                Err(_) => {
                    problems.push(bad(
                        t,
                        format!("\"{}\" is not a timeout in milliseconds", t.value.trim()),
                    ));
                    None
                }
            },
            (Some(i), None) | (None, Some(i)) => {
                problems.push(bad(
                    i,
                    "reqStandbyUrl and reqTimeout go together: give both or neither".into(),
                ));
                None
            }
        };
        if problems.len() > before {
            return None;
        }
        Some(GeneralInfo {
            internal_name: internal?.value.trim().to_owned(),
            display_name: display?.value.trim().to_owned(),
            adapter_url: adapter?.value.trim().to_owned(),
            use_api: use_api_value?,
            height: h?,
            width: w?,
            mode,
            standby,
        })
    }

    fn options(&self, problems: &mut Vec<Problem>) -> Options {
        let mut options = Options::default();
        if let Some(s) = self.section(OPTIONS_SECTION) {
            for i in &s.items {
                if let Err(errors) = set_option(&mut options, &i.name, &i.value) {
                    for e in errors {
                        problems.push(Problem::new(ProblemKind::Value, e).at(Some(s), Some(i)));
                    }
                }
            }
        }
        options
    }
}

fn value(s: &Section, item: &str) -> String {
    s.item(item)
        .map(|i| i.value.trim().to_owned())
        .unwrap_or_default()
}

pub(crate) fn check_orders(
    orders: impl Iterator<Item = (u32, Option<u32>)>,
    section: Option<&Section>,
    problems: &mut Vec<Problem>,
) {
    let mut all: Vec<(u32, Option<u32>)> = orders.collect();
    all.sort_by_key(|(o, _)| *o);
    for (expected, (order, line)) in all.iter().enumerate() {
        let expected = u32::try_from(expected).unwrap_or(u32::MAX);
        if *order != expected {
            let what = if section.is_some() {
                "items"
            } else {
                "sections"
            };
            let mut p = Problem::new(
                ProblemKind::SortOrder,
                format!("sortOrder of {what} must run 0, 1, 2… without gaps or repeats: found {order} where {expected} was expected"),
            )
            .at(section, None);
            p.line = line.or(p.line);
            problems.push(p);
            return;
        }
    }
}

/// A section's or item's name: letters and digits, at most 40, not reserved (a `req*` name
/// must be one of `known`, Salesforce's for that kind of contact center).
pub(crate) fn check_name(
    name: &str,
    section: Option<&Section>,
    item: Option<&Item>,
    known: &[&str],
    problems: &mut Vec<Problem>,
) {
    let what = if item.is_some() { "item" } else { "section" };
    let msg = if name.is_empty() {
        Some(format!("the {what} has no name"))
    } else if !is_alphanumeric(name) {
        Some(format!(
            "\"{name}\": {what} names are letters and digits only"
        ))
    } else if name.len() > 40 {
        Some(format!(
            "\"{name}\": {what} names are at most 40 characters"
        ))
    } else if RESERVED.contains(&name) || (name.starts_with("req") && !known.contains(&name)) {
        Some(format!(
            "\"{name}\" is reserved by Salesforce (names starting with req, label, sortOrder, internalNameLabel, displayNameLabel)"
        ))
    } else if section.is_some_and(|s| s.name == OPTIONS_SECTION)
        && item.is_some()
        && !OPTION_ITEMS.contains(&name)
    {
        Some(format!(
            "\"{name}\" is not an option of the connector (known: {})",
            OPTION_ITEMS.join(", ")
        ))
    } else {
        None
    };
    if let Some(m) = msg {
        problems.push(Problem::new(ProblemKind::Name, m).at(section, item));
    }
}

pub(crate) fn check_label(
    label: &str,
    section: Option<&Section>,
    item: Option<&Item>,
    problems: &mut Vec<Problem>,
) {
    if label.chars().count() > 1000 {
        problems.push(
            Problem::new(ProblemKind::Label, "labels are at most 1000 characters")
                .at(section, item),
        );
    }
}

/// What an install's call center says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Install {
    /// `reqInternalName`.
    pub internal_name: String,
    /// `reqDisplayName`.
    pub display_name: String,
    /// Where the connector serves the softphone page (https).
    pub adapter_url: String,
    /// Softphone width, px.
    pub width: u32,
    /// Softphone height, px.
    pub height: u32,
    /// Where it shows.
    pub mode: CompatibilityMode,
    /// Standby URL and timeout (ms).
    pub standby: Option<(String, u32)>,
    /// The connector's options.
    pub options: Options,
    /// Dialing prefixes.
    pub dialing: DialingOptions,
}

impl Default for Install {
    /// The seed's call center with a placeholder adapter URL.
    fn default() -> Self {
        Self {
            internal_name: "NeotelCTI".into(),
            display_name: "Neotel CTI".into(),
            adapter_url: "https://YOUR-SERVER/softphone/".into(),
            width: 620,
            height: 420,
            mode: CompatibilityMode::Lightning,
            standby: None,
            options: Options::default(),
            dialing: DialingOptions::default(),
        }
    }
}

/// The seed's label of each item [`generate`] writes: Salesforce's items as Salesforce names
/// them, the options in Spanish as the customer's admins read them.
fn label(name: &str) -> &'static str {
    match name {
        "reqInternalName" => "InternalName",
        "reqDisplayName" => "Display Name",
        "reqAdapterUrl" => "CTI Adapter URL",
        "reqUseApi" => "Use CTI API",
        "reqSoftphoneHeight" => "Softphone Height",
        "reqSoftphoneWidth" => "Softphone Width",
        "reqSalesforceCompatibilityMode" => "Salesforce Compatibility Mode",
        "reqStandbyUrl" => "Standby URL",
        "reqTimeout" => "Timeout (ms)",
        "reqOutsidePrefix" => "Outside Prefix",
        "reqLongDistPrefix" => "Long Distance Prefix",
        "reqInternationalPrefix" => "International Prefix",
        "searchTypePriority" => "Prioridad de búsqueda",
        "externalData" => "Datos de neotel importables a Sf",
        "defaultNewRowData" => "Datos default para nuevos Registros",
        "allowCategorization" => "Permite categorización de contactos. (true/false)",
        "allowClickToDialSearch" => {
            "Permite seleccionar un dato de SF, tomarlo en pantalla y gestionarlo. (ClickToDial)"
        }
        "useTaskDescriptionField" => {
            "Utiliza el campo descripción para guardar la información de la gestion."
        }
        "allowContactRelease" => "Permite liberar un contacto sin ser categorizado.",
        "automaticContactRelease" => {
            "Liberar contacto automaticamente al terminar llamado. (Segundos)"
        }
        "saveActivityLog" => "Guardar automáticamente registro de llamada (Task).",
        "allowTextMessage" => "Permite enviar un mensaje al cliente por medio de SMS o Whatsapp.",
        "campaignEntityName" => "Permite asociar un id de campaña a un objeto de Salesforce.",
        _ => "",
    }
}

/// The call center definition for an install: the seed's sections and items, plus dialing.
/// Each section is its items' names and values; labels come from `label`, sort orders
/// from the order written here.
pub fn generate(install: &Install) -> CallCenter {
    let mut general = vec![
        ("reqInternalName", install.internal_name.clone()),
        ("reqDisplayName", install.display_name.clone()),
        ("reqAdapterUrl", install.adapter_url.clone()),
        ("reqUseApi", "true".to_owned()),
        ("reqSoftphoneHeight", install.height.to_string()),
        ("reqSoftphoneWidth", install.width.to_string()),
        (
            "reqSalesforceCompatibilityMode",
            install.mode.as_str().to_owned(),
        ),
    ];
    if let Some((url, ms)) = &install.standby {
        general.push(("reqStandbyUrl", url.clone()));
        general.push(("reqTimeout", ms.to_string()));
    }
    let dialing = &install.dialing;
    let sections = [
        (GENERAL_SECTION, "General Information", general),
        (OPTIONS_SECTION, "Opciones", install.options.to_items()),
        (
            DIALING_SECTION,
            "Dialing Options",
            vec![
                ("reqOutsidePrefix", dialing.outside_prefix.clone()),
                ("reqLongDistPrefix", dialing.long_distance_prefix.clone()),
                (
                    "reqInternationalPrefix",
                    dialing.international_prefix.clone(),
                ),
            ],
        ),
    ];
    let order = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    CallCenter {
        sections: sections
            .into_iter()
            .enumerate()
            .map(|(n, (name, section_label, items))| Section {
                name: name.into(),
                label: section_label.into(),
                sort_order: order(n),
                items: items
                    .into_iter()
                    .enumerate()
                    .map(|(n, (name, value))| Item {
                        name: name.into(),
                        label: label(name).into(),
                        sort_order: order(n),
                        value,
                        line: None,
                    })
                    .collect(),
                line: None,
            })
            .collect(),
    }
}
