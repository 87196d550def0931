//! The typed value tree that records carry between the converter and the sink.
//!
//! JSON numbers that do not fit `i64`/`u64` stay exact as [`Value::BigInt`]; decimals with a
//! schema stay exact as [`Value::Decimal`]. Maps keep insertion order, so a record written
//! back out looks like the one that came in.

use bigdecimal::BigDecimal;
use bytes::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use num_bigint::BigInt;

/// Text of string values and map keys: a string that keeps up to 24 bytes inline, without
/// a heap allocation. Field names and most short values fit, and decoding a record
/// allocates once per long string instead of once per string.
pub use compact_str::CompactString;

pub use crate::map::Map;

/// One value of a record's key, value or header.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// JSON `null`, a missing optional field, or a tombstone's value.
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer that fits 64 bits.
    Int(i64),
    /// An unsigned integer above `i64::MAX` that fits 64 bits.
    UInt(u64),
    /// An integer of any size, kept exact. Boxed, as the decimal is: they are rare, and
    /// inline they would make every value twice as large.
    BigInt(Box<BigInt>),
    /// A decimal of any precision, kept exact.
    Decimal(Box<BigDecimal>),
    /// A binary floating-point number.
    Float(f64),
    /// A UTF-8 string.
    String(CompactString),
    /// Raw bytes.
    Bytes(Bytes),
    /// An instant in UTC, nanosecond resolution.
    Timestamp(DateTime<Utc>),
    /// A calendar date (proleptic Gregorian).
    Date(NaiveDate),
    /// An ordered list.
    Array(Vec<Value>),
    /// A map with string keys in insertion order.
    Map(Map),
}

impl Value {
    /// The name of this value's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) | Value::UInt(_) | Value::BigInt(_) => "integer",
            Value::Decimal(_) => "decimal",
            Value::Float(_) => "float",
            Value::String(_) => "string",
            Value::Bytes(_) => "bytes",
            Value::Timestamp(_) => "timestamp",
            Value::Date(_) => "date",
            Value::Array(_) => "array",
            Value::Map(_) => "map",
        }
    }

    /// Whether this is [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The string inside, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The map inside, if this is a map.
    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The integer inside as `i64`, if it is an integer that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::UInt(u) => i64::try_from(*u).ok(),
            _ => None,
        }
    }

    /// Looks up a field by a dotted path (`a.b.c`) through nested maps.
    pub fn get_path(&self, path: &str) -> Option<&Value> {
        path.split('.')
            .try_fold(self, |v, part| v.as_map()?.get(part))
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.into())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s.into())
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::Float(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_path_walks_nested_maps() {
        let mut inner = Map::default();
        inner.insert("b".into(), Value::Int(7));
        let mut outer = Map::default();
        outer.insert("a".into(), Value::Map(inner));
        let v = Value::Map(outer);
        assert_eq!(v.get_path("a.b"), Some(&Value::Int(7)));
        assert_eq!(v.get_path("a.c"), None);
        assert_eq!(v.get_path("a.b.c"), None);
    }
}
