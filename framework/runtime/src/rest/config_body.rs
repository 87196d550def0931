//! Reading connector settings from a JSON object. Kafka Connect's values are strings;
//! numbers and booleans are accepted and turned into their text, as Kafka Connect's JSON
//! mapper does, and anything else is refused naming the key.

use std::collections::BTreeMap;

use serde_json::Value;
use sluice_core::config::Settings;

use super::error::ApiError;

/// A config map from a JSON object; `null` values are refused.
pub fn settings(value: &Value, what: &str) -> Result<Settings, ApiError> {
    let patch = patch(value, what)?;
    patch
        .into_iter()
        .map(|(k, v)| {
            v.map(|v| (k.clone(), v))
                .ok_or_else(|| ApiError::bad_request(format!("{what}: \"{k}\" must not be null")))
        })
        .collect()
}

/// A config patch from a JSON object; `null` values mean "remove this key".
pub fn patch(value: &Value, what: &str) -> Result<BTreeMap<String, Option<String>>, ApiError> {
    let Value::Object(map) = value else {
        let got = match value {
            Value::Null => "it is missing or null".to_owned(),
            other => format!(
                "got {}",
                other.to_string().chars().take(80).collect::<String>()
            ),
        };
        return Err(ApiError::bad_request(format!(
            "{what} must be a JSON object of settings (string values); {got}"
        )));
    };
    map.iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                Value::Bool(b) => Some(b.to_string()),
                Value::Null => None,
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "{what}: \"{k}\" must be a string, not {v}"
                    )))
                }
            };
            Ok((k.clone(), text))
        })
        .collect()
}
