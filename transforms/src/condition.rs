//! A small condition language for `Filter`: `<field> == <literal>` or `<field> != <literal>`.
//!
//! The field is `topic`, `key`, `value`, or a dotted path below `key.` or `value.`
//! (`value.type`); the literal is JSON (`"heartbeat"`, `42`, `true`, `null`). A missing field
//! compares as null. The operator is the first `==` or `!=` outside a string literal, so
//! `value.msg == "a!=b"` compares with the string `a!=b`.
//!
//! Integers compare exactly whatever their size, so `9007199254740993` does not equal
//! `9007199254740992`. When one side is a float, both compare as `f64`: `1` equals `1.0`,
//! and above 2^53 an integer equals the nearest float.

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
                topic = Value::from(&*record.topic);
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

/// Splits the text at its operator into field, literal and whether it is `!=`.
fn split_operator(text: &str) -> Result<(&str, &str, bool)> {
    let needs_operator = || Error::config(format!("condition \"{text}\" needs == or !="));
    let at = operator_position(text).ok_or_else(needs_operator)?;
    // Both operator bytes are ASCII, so `at` and `at + 2` are character boundaries.
    let (lhs, rest) = text.split_at_checked(at).ok_or_else(needs_operator)?;
    let negate = rest.starts_with('!');
    let rhs = rest.get(2..).ok_or_else(needs_operator)?;
    Ok((lhs, rhs, negate))
}

/// The byte index of the first `==` or `!=` that is not inside a JSON string literal. It
/// follows quotes and backslash escapes, so `"a\"!=b"` is one literal.
fn operator_position(text: &str) -> Option<usize> {
    let (mut in_string, mut escaped) = (false, false);
    for (i, pair) in text.as_bytes().windows(2).enumerate() {
        let (byte, next) = (pair[0], pair[1]);
        if escaped {
            escaped = false;
        } else if in_string && byte == b'\\' {
            escaped = true;
        } else if byte == b'"' {
            in_string = !in_string;
        } else if !in_string && next == b'=' && matches!(byte, b'=' | b'!') {
            return Some(i);
        }
    }
    None
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

/// Equality with numbers compared by value: integers exactly, a float with any number
/// through `f64`; every other pair as `Value`'s own equality.
fn loosely_equal(a: &Value, b: &Value) -> bool {
    if let Some(equal) = integers_equal(a, b) {
        return equal;
    }
    let is_float = |v: &Value| matches!(v, Value::Float(_));
    match (as_f64(a), as_f64(b)) {
        (Some(x), Some(y)) if is_float(a) || is_float(b) => x == y,
        _ => a == b,
    }
}

/// Whether two integers are equal, exactly; `None` unless both are integers. Every `i64`
/// and `u64` fits `i128`; a big integer that does not can only equal another such.
fn integers_equal(a: &Value, b: &Value) -> Option<bool> {
    let is_integer = |v: &Value| matches!(v, Value::Int(_) | Value::UInt(_) | Value::BigInt(_));
    if !is_integer(a) || !is_integer(b) {
        return None;
    }
    Some(match (as_i128(a), as_i128(b)) {
        (Some(x), Some(y)) => x == y,
        (None, None) => a == b,
        _ => false,
    })
}

/// An integer as `i128`, if it is one and fits.
fn as_i128(v: &Value) -> Option<i128> {
    match v {
        Value::Int(i) => Some(i128::from(*i)),
        Value::UInt(u) => Some(i128::from(*u)),
        Value::BigInt(b) => i128::try_from(&**b).ok(),
        _ => None,
    }
}

/// A number as the nearest `f64`; big integers go through their decimal text, which is
/// exact to parse, because this crate has no big-number arithmetic of its own.
fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::UInt(u) => Some(*u as f64),
        Value::BigInt(b) => b.to_string().parse().ok(),
        Value::Float(f) => Some(*f),
        _ => None,
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

    fn record_with(value: Value) -> Record {
        Record::new("t", 0, 0, Value::Null, value)
    }

    fn field(name: &str, v: Value) -> Value {
        let mut m = sluice_core::Map::default();
        m.insert(name.into(), v);
        Value::Map(m)
    }

    #[test]
    fn an_operator_inside_a_string_literal_is_part_of_the_literal() {
        let c = Condition::parse(r#"value.msg == "a!=b""#).unwrap();
        assert_eq!(c.literal, Value::from("a!=b"));
        assert!(!c.negate);
        assert!(c.matches(&record_with(field("msg", Value::from("a!=b")))));

        let c = Condition::parse(r#"value.msg != "say \"x==y\"""#).unwrap();
        assert_eq!(c.literal, Value::from(r#"say "x==y""#));
        assert!(c.negate);
        let c = Condition::parse(r#"value.msg == "back\\" "#).unwrap();
        assert_eq!(c.literal, Value::from("back\\"));
    }

    #[test]
    fn integers_compare_exactly_and_floats_through_f64() {
        let c = Condition::parse("value.id == 9007199254740993").unwrap();
        let id = |v: Value| record_with(field("id", v));
        assert!(c.matches(&id(Value::Int(9_007_199_254_740_993))));
        assert!(!c.matches(&id(Value::Int(9_007_199_254_740_992))));
        // A float compares through f64, where 2^53 + 1 rounds to 2^53.
        assert!(c.matches(&id(Value::Float(9_007_199_254_740_992.0))));

        let c = Condition::parse("value.id == 18446744073709551615").unwrap();
        assert!(c.matches(&id(Value::UInt(u64::MAX))));
        assert!(!c.matches(&id(Value::UInt(u64::MAX - 1))));

        let big = "value.id == 36893488147419103232";
        let c = Condition::parse(big).unwrap();
        assert!(c.matches(&id(
            sluice_core::json::parse(b"36893488147419103232").unwrap()
        )));
        assert!(!c.matches(&id(Value::UInt(u64::MAX))));

        let c = Condition::parse("value.id == 1.0").unwrap();
        assert!(c.matches(&id(Value::Int(1))));
        assert!(!c.matches(&id(Value::Int(2))));
    }
}
