//! A small condition language for `Filter`: `<field> == <literal>` or `<field> != <literal>`.
//!
//! The field is `topic`, `key`, `value`, or a dotted path below `key.` or `value.`
//! (`value.type`); the literal is JSON (`"heartbeat"`, `42`, `true`, `null`). A missing field
//! compares as null. Numbers compare by value, so `1` equals `1.0`.

use sluice_core::{json, Error, Record, Result, Value};

/// Which side of the record a path starts from.
#[derive(Clone, Debug, PartialEq)]
enum Root {
    Topic,
    Key,
    Value,
}

/// A parsed condition.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    root: Root,
    path: Option<String>,
    negate: bool,
    literal: Value,
}

impl Condition {
    /// Parses a condition; the error says what part is wrong.
    pub fn parse(text: &str) -> Result<Self> {
        let (lhs, rhs, negate) = split_operator(text)?;
        let (root, path) = parse_field(lhs.trim())?;
        let literal = json::parse(rhs.trim().as_bytes())
            .map_err(|_| Error::config(format!("\"{}\" is not a JSON literal", rhs.trim())))?;
        Ok(Self {
            root,
            path,
            negate,
            literal,
        })
    }

    /// Whether the record satisfies the condition.
    pub fn matches(&self, record: &Record) -> bool {
        let topic;
        let base = match self.root {
            Root::Topic => {
                topic = Value::String(record.topic.to_string());
                &topic
            }
            Root::Key => &record.key,
            Root::Value => &record.value,
        };
        let field = match &self.path {
            Some(p) => base.get_path(p).unwrap_or(&Value::Null),
            None => base,
        };
        loosely_equal(field, &self.literal) != self.negate
    }
}

fn split_operator(text: &str) -> Result<(&str, &str, bool)> {
    if let Some((l, r)) = text.split_once("!=") {
        return Ok((l, r, true));
    }
    if let Some((l, r)) = text.split_once("==") {
        return Ok((l, r, false));
    }
    Err(Error::config(format!(
        "condition \"{text}\" needs == or !="
    )))
}

fn parse_field(field: &str) -> Result<(Root, Option<String>)> {
    let (head, rest) = match field.split_once('.') {
        Some((h, r)) => (h, Some(r.to_owned())),
        None => (field, None),
    };
    let root = match head {
        "topic" if rest.is_none() => Root::Topic,
        "key" => Root::Key,
        "value" => Root::Value,
        _ => {
            return Err(Error::config(format!(
                "field \"{field}\" must be topic, key, value, key.<path> or value.<path>"
            )))
        }
    };
    Ok((root, rest))
}

fn loosely_equal(a: &Value, b: &Value) -> bool {
    let as_f64 = |v: &Value| match v {
        Value::Int(i) => Some(*i as f64),
        Value::UInt(u) => Some(*u as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    };
    match (as_f64(a), as_f64(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_say_what_is_wrong() {
        assert!(Condition::parse("value.type = 1")
            .unwrap_err()
            .message
            .contains("=="));
        assert!(Condition::parse("body.x == 1")
            .unwrap_err()
            .message
            .contains("body.x"));
        assert!(Condition::parse("value.x == heartbeat")
            .unwrap_err()
            .message
            .contains("JSON literal"));
    }
}
