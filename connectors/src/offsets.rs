//! Shape checks for the source partitions and offsets a user sends in an offsets PATCH.
//!
//! A task looks its offset up by the exact JSON text of its partition, so a partition with
//! an extra key would be stored but never read: the checks here accept exactly the keys a
//! connector writes and name the first one that is missing, unexpected or of the wrong type.

use serde_json::{Map, Value};

/// The object inside `value`, if it has exactly the keys `keys`; `what` names it in errors.
pub fn exact_object<'a>(
    what: &str,
    value: &'a Value,
    keys: &[&str],
) -> Result<&'a Map<String, Value>, String> {
    let object = value
        .as_object()
        .ok_or_else(|| format!("the {what} must be a JSON object, not {value}"))?;
    if let Some(missing) = keys.iter().find(|k| !object.contains_key(**k)) {
        return Err(format!("the {what} must have the key \"{missing}\""));
    }
    if let Some(extra) = object.keys().find(|k| !keys.contains(&k.as_str())) {
        let expected = keys.join("\", \"");
        return Err(format!(
            "the {what} has the unexpected key \"{extra}\"; it takes only \"{expected}\""
        ));
    }
    Ok(object)
}

/// Checks that `object[key]` is an integer of 0 or more.
pub fn non_negative_integer(
    what: &str,
    object: &Map<String, Value>,
    key: &str,
) -> Result<u64, String> {
    let value = object.get(key).unwrap_or(&Value::Null);
    value.as_u64().ok_or_else(|| {
        format!("\"{key}\" of the {what} must be a non-negative integer, not {value}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_the_missing_the_extra_and_the_mistyped_key() {
        let keys = &["position"];
        assert_eq!(
            exact_object("offset", &json!({}), keys).unwrap_err(),
            "the offset must have the key \"position\""
        );
        assert_eq!(
            exact_object("offset", &json!({"position": 1, "x": 2}), keys).unwrap_err(),
            "the offset has the unexpected key \"x\"; it takes only \"position\""
        );
        assert_eq!(
            exact_object("offset", &json!([1]), keys).unwrap_err(),
            "the offset must be a JSON object, not [1]"
        );
        let offset = json!({"position": 1.5});
        let object = exact_object("offset", &offset, keys).unwrap();
        assert_eq!(
            non_negative_integer("offset", object, "position").unwrap_err(),
            "\"position\" of the offset must be a non-negative integer, not 1.5"
        );
    }
}
