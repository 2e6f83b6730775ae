//! The layers, merged by figment in order of precedence: the file, then each `CTI_…` variable,
//! then each flag. Every variable and every flag is a layer of its own, named by where it came
//! from, so figment's metadata of a value is its provenance and a mistyped one is reported
//! alone, naming its key and its source.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};

use clap::{Args as _, FromArgMatches as _};

use super::keys::Keys;
use super::model::{ConfigError, Problem};

/// The raw inputs of [`load`](super::load): a file, environment variables and flags.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    /// `--config FILE`.
    pub file: Option<PathBuf>,
    /// The environment (only `CTI_…` variables of a key are read).
    pub env: Vec<(String, String)>,
    /// The keys the command-line flags set.
    pub flags: Keys,
}

impl Sources {
    /// The process's environment.
    #[must_use]
    pub fn from_process_env(file: Option<PathBuf>, flags: Keys) -> Self {
        let env = std::env::vars()
            .filter(|(k, _)| k.starts_with("CTI_"))
            .collect();
        Self { file, env, flags }
    }
}

/// The environment variable that sets `key`.
#[must_use]
pub fn env_name(key: &str) -> String {
    format!("CTI_{}", key.to_ascii_uppercase().replace('.', "_"))
}

/// Every key a flag sets (every key but the tables), with its flag (`neoapi.url`,
/// `--neoapi-url`): found by giving clap each flag alone and seeing where its value lands.
pub(crate) fn flag_keys() -> &'static [(String, String)] {
    static FLAG_KEYS: LazyLock<Vec<(String, String)>> = LazyLock::new(|| {
        let command = Keys::augment_args(clap::Command::new("cti-server"));
        command
            .get_arguments()
            .filter_map(|arg| arg.get_long())
            .map(|long| {
                let flag = format!("--{long}");
                let matches = command
                    .clone()
                    .try_get_matches_from(["cti-server", flag.as_str(), "1"])
                    .expect("every flag takes a value such as 1");
                let keys = Keys::from_arg_matches(&matches).expect("the flags parse into Keys");
                let mut set = leaves(&keys);
                assert_eq!(set.len(), 1, "{flag} sets one key");
                (set.remove(0).0, flag)
            })
            .collect()
    });
    &FLAG_KEYS
}

/// One layer: its values and its name (`file …`, `CTI_…`, `--…`).
struct Layer {
    name: String,
    dict: Dict,
}

impl Provider for Layer {
    fn metadata(&self) -> Metadata {
        Metadata::named(self.name.clone())
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.dict.clone()))
    }
}

impl Layer {
    /// `key` (dotted) set to `value`.
    fn one(name: String, key: &str, value: Value) -> Self {
        let dict = figment::util::nest(key, value)
            .into_dict()
            .expect("a dotted key nests into a table");
        Self { name, dict }
    }

    /// The file, its types and unknown keys checked on the file alone (toml's message names
    /// the line).
    fn file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let parse = |message: String| ConfigError::Parse {
            path: path.to_owned(),
            message,
        };
        toml::from_str::<Keys>(&text).map_err(|e| parse(e.to_string()))?;
        let dict = toml::from_str::<Dict>(&text).map_err(|e| parse(e.to_string()))?;
        Ok(Self {
            name: format!("file {}", path.display()),
            dict,
        })
    }
}

/// The keys `keys` sets, dotted, with their values (lists are one value).
pub(crate) fn leaves(keys: &Keys) -> Vec<(String, Value)> {
    fn walk(prefix: &str, value: Value, out: &mut Vec<(String, Value)>) {
        match value {
            Value::Dict(_, dict) => {
                for (name, value) in dict {
                    let key = if prefix.is_empty() {
                        name
                    } else {
                        format!("{prefix}.{name}")
                    };
                    walk(&key, value, out);
                }
            }
            Value::Empty(..) => {}
            leaf => out.push((prefix.to_owned(), leaf)),
        }
    }
    let mut out = Vec::new();
    let value = Value::serialize(keys).expect("keys serialize");
    walk("", value, &mut out);
    out
}

/// The layers of `sources`, merged, and where each value came from.
pub(crate) struct Merged {
    pub(crate) keys: Keys,
    figment: Figment,
}

impl Merged {
    /// Where `key`'s value came from: `file …`, `CTI_…`, `--…`, or `default`. A key left out
    /// of a table (`tls.key` beside `tls.cert`) is named after where the table came from.
    pub(crate) fn source(&self, key: &str) -> String {
        let mut path = key;
        loop {
            if let Some(m) = self.figment.find_metadata(path) {
                return m.name.to_string();
            }
            match path.rsplit_once('.') {
                Some((parent, _)) => path = parent,
                None => return "default".to_owned(),
            }
        }
    }
}

/// Merges the file, the environment and the flags (each later one wins).
///
/// # Errors
/// The file cannot be read or parsed, or a variable or flag has a value of the wrong type.
pub(crate) fn merge(sources: &Sources) -> Result<Merged, ConfigError> {
    let mut layers = Vec::new();
    if let Some(path) = &sources.file {
        layers.push(Layer::file(path)?);
    }
    let keys = flag_keys();
    for (name, value) in &sources.env {
        if let Some((key, _)) = keys.iter().find(|(key, _)| env_name(key) == *name) {
            // Text: figment reads it as the key's type (lossy extraction below).
            layers.push(Layer::one(name.clone(), key, Value::from(value.clone())));
        }
    }
    for (key, value) in leaves(&sources.flags) {
        let flag = keys
            .iter()
            .find(|(k, _)| *k == key)
            .map_or_else(|| "flags".to_owned(), |(_, flag)| flag.clone());
        layers.push(Layer::one(flag, &key, value));
    }
    // Each variable and flag alone first, so every mistyped one is named.
    let mistyped: Vec<Problem> = layers
        .iter()
        .filter(|layer| !layer.name.starts_with("file "))
        .filter_map(|layer| {
            Figment::from(layer)
                .extract_lossy::<Keys>()
                .err()
                .map(|e| problems(e, Some(&layer.name)))
        })
        .flatten()
        .collect();
    if !mistyped.is_empty() {
        return Err(ConfigError::Invalid(mistyped));
    }
    let figment = layers
        .into_iter()
        .fold(Figment::new(), |figment, layer| figment.merge(layer));
    let keys = figment
        .extract_lossy::<Keys>()
        .map_err(|e| ConfigError::Invalid(problems(e, None)))?;
    Ok(Merged { keys, figment })
}

/// figment's errors (each with its key path) as problems.
fn problems(error: figment::Error, source: Option<&str>) -> Vec<Problem> {
    error
        .into_iter()
        .map(|e| Problem {
            key: e.path.join("."),
            source: source.map_or_else(
                || {
                    e.metadata
                        .as_ref()
                        .map_or("merged configuration".into(), |m| m.name.to_string())
                },
                str::to_owned,
            ),
            message: e.kind.to_string(),
        })
        .collect()
}
