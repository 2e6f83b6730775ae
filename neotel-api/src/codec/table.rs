//! Per-install task results: `{"Table":[{…},…]}`, as JSON rows or the caller's row type.

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::DecodeError;

/// Decodes a per-install task's JSON result `{"Table":[{…},…]}` into its rows. An
/// empty text or `{}` (a .NET `DataSet` without tables) gives no rows.
pub fn decode_table(
    text: &str,
) -> Result<Vec<serde_json::Map<String, serde_json::Value>>, DecodeError> {
    #[derive(Deserialize)]
    struct Tables {
        #[serde(rename = "Table", default)]
        table: Vec<serde_json::Map<String, serde_json::Value>>,
    }
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_str::<Tables>(text)
        .map(|t| t.table)
        .map_err(|e| DecodeError::Table(format!("not {{\"Table\":[…]}}: {e}")))
}

/// Decodes a task's `{"Table":[…]}` result straight into the caller's row type.
pub fn decode_rows<T: DeserializeOwned>(text: &str) -> Result<Vec<T>, DecodeError> {
    decode_table(text)?
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            serde_json::from_value(serde_json::Value::Object(row))
                .map_err(|e| DecodeError::Table(format!("row {i}: {e}")))
        })
        .collect()
}
