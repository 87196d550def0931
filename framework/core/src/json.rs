//! JSON text to [`Value`] and back.
//!
//! Parsing uses `jiter`'s pull parser so numbers arrive as their source text: integers that
//! fit `i64` or `u64` become [`Value::Int`] / [`Value::UInt`], larger ones stay exact as
//! [`Value::BigInt`], and numbers with a fraction or exponent become [`Value::Float`] unless
//! they overflow `f64`, in which case they stay exact as [`Value::Decimal`].
//!
//! Writing is our own small encoder, because the value tree has types JSON lacks: bytes are
//! written as base64 strings (as Kafka Connect's JsonConverter does), timestamps as RFC 3339
//! strings with as many fractional digits as needed, dates as `YYYY-MM-DD`, and decimals and
//! big integers as exact number literals.

use std::str::FromStr;

use base64::Engine as _;
use bigdecimal::BigDecimal;
use jiter::{Jiter, Peek};
use num_bigint::BigInt;

use crate::error::{Error, Result};
use crate::value::{CompactString, Map, Value};

/// Nesting deeper than this is rejected instead of risking the stack.
const MAX_DEPTH: usize = 256;

/// Parses one JSON document into a [`Value`]. Trailing non-whitespace is an error.
pub fn parse(data: &[u8]) -> Result<Value> {
    let mut jiter = Jiter::new(data);
    let parsed = jiter
        .peek()
        .map_err(Failure::Syntax)
        .and_then(|peek| read_value(&mut jiter, peek, 0))
        .and_then(|value| jiter.finish().map(|()| value).map_err(Failure::Syntax));
    parsed.map_err(|failure| match failure {
        Failure::Syntax(e) => Error::data(format!("invalid JSON: {}", e.description(&jiter))),
        Failure::TooDeep => Error::data(format!("invalid JSON: nested deeper than {MAX_DEPTH}")),
        Failure::OutOfRange(n) => {
            Error::data(format!("JSON number {n} is out of any supported range"))
        }
    })
}

/// Why parsing stopped.
enum Failure {
    Syntax(jiter::JiterError),
    TooDeep,
    OutOfRange(String),
}

impl From<jiter::JiterError> for Failure {
    fn from(e: jiter::JiterError) -> Self {
        Failure::Syntax(e)
    }
}

type Parsed = std::result::Result<Value, Failure>;

fn read_value(jiter: &mut Jiter<'_>, peek: Peek, depth: usize) -> Parsed {
    if depth > MAX_DEPTH {
        return Err(Failure::TooDeep);
    }
    Ok(match peek {
        Peek::Null => {
            jiter.known_null()?;
            Value::Null
        }
        Peek::True | Peek::False => Value::Bool(jiter.known_bool(peek)?),
        Peek::String => Value::String(jiter.known_str()?.into()),
        Peek::Array => read_array(jiter, depth)?,
        Peek::Object => read_object(jiter, depth)?,
        _ => number_from_text(jiter.known_number_bytes(peek)?)?,
    })
}

fn read_array(jiter: &mut Jiter<'_>, depth: usize) -> Parsed {
    let mut items = Vec::new();
    let mut next = jiter.known_array()?;
    while let Some(peek) = next {
        items.push(read_value(jiter, peek, depth + 1)?);
        next = jiter.array_step()?;
    }
    Ok(Value::Array(items))
}

/// Room for this many fields is made at once: most records are small objects, and a map
/// grown field by field reallocates and rehashes twice on the way to ten.
const FIELDS_AT_ONCE: usize = 8;

fn read_object(jiter: &mut Jiter<'_>, depth: usize) -> Parsed {
    let mut map = Map::with_capacity(FIELDS_AT_ONCE);
    let mut key = jiter.known_object()?.map(CompactString::from);
    while let Some(k) = key {
        let peek = jiter.peek()?;
        let v = read_value(jiter, peek, depth + 1)?;
        map.insert(k, v);
        key = jiter.next_key()?.map(CompactString::from);
    }
    Ok(Value::Map(map))
}

/// Turns a syntactically valid JSON number literal into the narrowest exact value.
///
/// A number with a fraction or exponent is a float unless `f64` would change it beyond
/// rounding: one that overflows to infinity or underflows to zero stays an exact decimal,
/// and one whose exponent no decimal type can hold is an error, never a silent null.
fn number_from_text(bytes: &[u8]) -> Parsed {
    // jiter has validated the literal, so it is ASCII.
    let text = std::str::from_utf8(bytes).unwrap_or("0");
    let is_integer = !text.bytes().any(|b| matches!(b, b'.' | b'e' | b'E'));
    if is_integer {
        if let Ok(i) = text.parse::<i64>() {
            return Ok(Value::Int(i));
        }
        if let Ok(u) = text.parse::<u64>() {
            return Ok(Value::UInt(u));
        }
        if let Ok(b) = BigInt::from_str(text) {
            return Ok(Value::BigInt(Box::new(b)));
        }
    }
    let mantissa_is_zero = text
        .split(['e', 'E'])
        .next()
        .unwrap_or("")
        .bytes()
        .all(|b| !b.is_ascii_digit() || b == b'0');
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() && (f != 0.0 || mantissa_is_zero) => Ok(Value::Float(f)),
        _ => BigDecimal::from_str(text)
            .map(|d| Value::Decimal(Box::new(d)))
            .map_err(|_| Failure::OutOfRange(text.to_owned())),
    }
}

/// Writes a value as compact JSON text.
pub fn to_vec(value: &Value) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    write_value(&mut out, value)?;
    Ok(out)
}

/// Appends a value as compact JSON text to `out`.
pub fn write_value(out: &mut Vec<u8>, value: &Value) -> Result<()> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Value::UInt(u) => out.extend_from_slice(u.to_string().as_bytes()),
        Value::BigInt(b) => out.extend_from_slice(b.to_string().as_bytes()),
        Value::Decimal(d) => out.extend_from_slice(d.to_string().as_bytes()),
        Value::Float(f) => write_float(out, *f)?,
        Value::String(s) => write_str(out, s),
        Value::Bytes(b) => write_str(out, &base64::engine::general_purpose::STANDARD.encode(b)),
        Value::Timestamp(t) => {
            write_str(out, &t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        }
        Value::Date(d) => write_str(out, &d.format("%Y-%m-%d").to_string()),
        Value::Array(items) => write_array(out, items)?,
        Value::Map(map) => write_map(out, map)?,
    }
    Ok(())
}

fn write_float(out: &mut Vec<u8>, f: f64) -> Result<()> {
    if !f.is_finite() {
        return Err(Error::data(format!("{f} cannot be written as JSON")));
    }
    // Debug formatting is the shortest text that reads back to the same f64, and keeps a
    // `.0` on whole numbers so a float stays a float for the next reader.
    out.extend_from_slice(format!("{f:?}").as_bytes());
    Ok(())
}

fn write_array(out: &mut Vec<u8>, items: &[Value]) -> Result<()> {
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_value(out, item)?;
    }
    out.push(b']');
    Ok(())
}

fn write_map(out: &mut Vec<u8>, map: &Map) -> Result<()> {
    out.push(b'{');
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, k);
        out.push(b':');
        write_value(out, v)?;
    }
    out.push(b'}');
    Ok(())
}

/// Appends a JSON string literal, escaping quotes, backslashes and control characters.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            b'\t' => Some(b"\\t"),
            0..=0x1f => None,
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        match escape {
            Some(e) => out.extend_from_slice(e),
            None => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(text: &str) -> String {
        String::from_utf8(to_vec(&parse(text.as_bytes()).unwrap()).unwrap()).unwrap()
    }

    #[test]
    fn integers_keep_their_exact_value() {
        assert_eq!(parse(b"9223372036854775807").unwrap(), Value::Int(i64::MAX));
        assert_eq!(
            parse(b"18446744073709551615").unwrap(),
            Value::UInt(u64::MAX)
        );
        assert_eq!(roundtrip("123456789012345678901"), "123456789012345678901");
        assert_eq!(
            roundtrip("-123456789012345678901"),
            "-123456789012345678901"
        );
    }

    #[test]
    fn floats_stay_floats() {
        assert_eq!(roundtrip("20.0"), "20.0");
        assert_eq!(roundtrip("0.1"), "0.1");
        assert_eq!(roundtrip("1e300"), "1e300");
        assert_eq!(roundtrip("1e400"), "1e+400");
    }

    #[test]
    fn numbers_outside_f64_stay_exact_or_fail() {
        assert_eq!(roundtrip("[1.5e-400]"), "[1.5E-400]");
        assert_eq!(roundtrip("[0.0e-400]"), "[0.0]");
        let err = parse(b"{\"x\":1e99999999999999999999}").unwrap_err();
        assert!(
            err.message.contains("out of any supported range"),
            "{}",
            err.message
        );
    }

    #[test]
    fn objects_keep_key_order_and_escapes() {
        let text = r#"{"z":1,"a":{"q":"say \"hi\"\n","e":[]},"m":null}"#;
        assert_eq!(roundtrip(text), text);
        assert_eq!(
            roundtrip(r#"{"t":"\ud83e\udd17"}"#),
            "{\"t\":\"\u{1F917}\"}"
        );
        assert_eq!(roundtrip(r#"["\u0001"]"#), r#"["\u0001"]"#);
    }

    #[test]
    fn bad_json_names_the_position() {
        let err = parse(b"{\"a\": tru}").unwrap_err();
        assert!(err.message.starts_with("invalid JSON:"), "{}", err.message);
        assert!(err.message.contains("column"), "{}", err.message);
        assert!(parse(b"{} x").is_err());
        assert!(parse(b"").is_err());
        assert!(parse(r#"{"line_desc":"bad \u12"}"#.as_bytes()).is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        assert!(parse(deep.as_bytes()).is_err());
    }
}
