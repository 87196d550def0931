//! Converters between Kafka's bytes and Sluice's typed values: `json` (with Kafka Connect's
//! `schemas.enable` envelope), `string` and `bytes`.
//!
//! Class names are Kafka Connect's, and short aliases are accepted:
//! `json` = `org.apache.kafka.connect.json.JsonConverter`,
//! `string` = `org.apache.kafka.connect.storage.StringConverter`,
//! `bytes` = `org.apache.kafka.connect.converters.ByteArrayConverter`.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;

use base64::Engine as _;
use bigdecimal::BigDecimal;
use bytes::Bytes;
use chrono::{DateTime, Duration, NaiveDate};
use num_bigint::BigInt;

use crate::error::{Error, Result};
use crate::json;
use crate::schema::{self, Schema, SchemaType};
use crate::value::{Map, Value};

/// A value with the schema it was read with, if any.
#[derive(Clone, Debug, PartialEq)]
pub struct Data {
    /// The schema, when the bytes carried one.
    pub schema: Option<Arc<Schema>>,
    /// The value; [`Value::Null`] for absent bytes (a tombstone's value).
    pub value: Value,
}

impl Data {
    /// A value without a schema.
    pub fn schemaless(value: Value) -> Self {
        Self {
            schema: None,
            value,
        }
    }
}

/// Turns the bytes of a key or value into [`Data`] and back.
pub trait Converter: Send + Sync {
    /// Decodes bytes read from `topic`; `None` is a null key or a tombstone value.
    fn to_data(&self, topic: &str, bytes: Option<&[u8]>) -> Result<Data>;
    /// Encodes data to be written to `topic`; [`Value::Null`] without a schema encodes to `None`.
    /// (Named after Kafka Connect's `fromConnectData`.)
    #[allow(clippy::wrong_self_convention)]
    fn from_data(&self, topic: &str, data: &Data) -> Result<Option<Vec<u8>>>;
}

/// The converter classes Sluice knows, by full name and alias.
pub const CONVERTER_CLASSES: &[(&str, &str)] = &[
    ("json", "org.apache.kafka.connect.json.JsonConverter"),
    ("string", "org.apache.kafka.connect.storage.StringConverter"),
    (
        "bytes",
        "org.apache.kafka.connect.converters.ByteArrayConverter",
    ),
];

/// Builds a converter from its class (full name or alias) and its own settings, the keys that
/// followed the `key.converter.` or `value.converter.` prefix.
pub fn build(class: &str, settings: &BTreeMap<String, String>) -> Result<Arc<dyn Converter>> {
    let alias = CONVERTER_CLASSES
        .iter()
        .find(|(alias, full)| *alias == class || *full == class)
        .map(|(alias, _)| *alias)
        .ok_or_else(|| Error::config(format!("unknown converter class \"{class}\"")))?;
    Ok(match alias {
        "json" => Arc::new(JsonConverter::from_settings(settings)?),
        "string" => Arc::new(StringConverter),
        _ => Arc::new(BytesConverter),
    })
}

/// Kafka Connect's JSON converter.
///
/// With `schemas.enable=true` (Kafka Connect's default) every message must be an envelope
/// `{"schema": ..., "payload": ...}`; the payload is typed by the schema. With `false`, the
/// message is plain JSON.
#[derive(Clone, Debug)]
pub struct JsonConverter {
    /// Whether messages carry the schema envelope.
    pub schemas_enable: bool,
    /// Whether an explicit null in an optional field with a default becomes the default
    /// (Kafka Connect's legacy behaviour). Off: a null stays null.
    pub replace_null_with_default: bool,
}

impl JsonConverter {
    fn from_settings(settings: &BTreeMap<String, String>) -> Result<Self> {
        let flag = |key: &str, default: bool| match settings.get(key).map(String::as_str) {
            None => Ok(default),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(Error::config(format!(
                "{key} must be true or false, not \"{v}\""
            ))),
        };
        Ok(Self {
            schemas_enable: flag("schemas.enable", true)?,
            replace_null_with_default: flag("replace.null.with.default", false)?,
        })
    }

    fn unwrap_envelope(&self, value: Value) -> Result<Data> {
        let Value::Map(mut map) = value else {
            return Err(envelope_error());
        };
        let well_formed =
            map.len() == 2 && map.contains_key("schema") && map.contains_key("payload");
        if !well_formed {
            return Err(envelope_error());
        }
        let payload = map.swap_remove("payload").unwrap_or(Value::Null);
        match map.swap_remove("schema").unwrap_or(Value::Null) {
            Value::Null => Ok(Data::schemaless(payload)),
            schema_json => {
                let schema = Arc::new(Schema::from_json(&schema_json)?);
                let value = typed(&schema, payload, self.replace_null_with_default)?;
                Ok(Data {
                    schema: Some(schema),
                    value,
                })
            }
        }
    }
}

fn envelope_error() -> Error {
    Error::data(
        "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may \
         not contain additional fields; set schemas.enable=false for plain JSON",
    )
}

impl Converter for JsonConverter {
    fn to_data(&self, _topic: &str, bytes: Option<&[u8]>) -> Result<Data> {
        let Some(bytes) = bytes else {
            return Ok(Data::schemaless(Value::Null));
        };
        let value = json::parse(bytes)?;
        if self.schemas_enable {
            self.unwrap_envelope(value)
        } else {
            Ok(Data::schemaless(value))
        }
    }

    fn from_data(&self, _topic: &str, data: &Data) -> Result<Option<Vec<u8>>> {
        if data.value.is_null() && data.schema.is_none() {
            return Ok(None);
        }
        if !self.schemas_enable {
            return json::to_vec(&data.value).map(Some);
        }
        let mut envelope = Map::default();
        let (schema, payload) = match &data.schema {
            Some(s) => (s.to_json(), untyped(s, &data.value)?),
            None => (Value::Null, data.value.clone()),
        };
        envelope.insert("schema".into(), schema);
        envelope.insert("payload".into(), payload);
        json::to_vec(&Value::Map(envelope)).map(Some)
    }
}

/// Types a JSON payload by its schema.
fn typed(schema: &Schema, value: Value, replace_null: bool) -> Result<Value> {
    if value.is_null() {
        return match (&schema.default, schema.optional) {
            // A null default of a required schema is no value at all: fall through to the error.
            (Some(default), _) if !default.is_null() && (replace_null || !schema.optional) => {
                typed(schema, default.clone(), false)
            }
            (_, true) => Ok(Value::Null),
            _ => Err(Error::data(format!(
                "null for a required {} value",
                schema.kind.as_str()
            ))),
        };
    }
    match schema.name.as_deref() {
        Some(schema::TIMESTAMP) => return timestamp_from_millis(&value),
        Some(schema::DATE) => return date_from_days(&value),
        Some(schema::DECIMAL) => return decimal_from_payload(schema, &value),
        _ => {}
    }
    match schema.kind {
        SchemaType::Int8 => int_in_range(value, i8::MIN as i64, i8::MAX as i64, "int8"),
        SchemaType::Int16 => int_in_range(value, i16::MIN as i64, i16::MAX as i64, "int16"),
        SchemaType::Int32 => int_in_range(value, i32::MIN as i64, i32::MAX as i64, "int32"),
        SchemaType::Int64 => int_in_range(value, i64::MIN, i64::MAX, "int64"),
        SchemaType::Float32 | SchemaType::Float64 => match value {
            Value::Float(_) => Ok(value),
            Value::Int(i) => Ok(Value::Float(i as f64)),
            other => Err(mismatch("number", &other)),
        },
        SchemaType::Boolean => expect(value, "boolean", |v| matches!(v, Value::Bool(_))),
        SchemaType::String => expect(value, "string", |v| matches!(v, Value::String(_))),
        SchemaType::Bytes => bytes_from_base64(&value).map(Value::Bytes),
        SchemaType::Array => typed_array(schema, value, replace_null),
        SchemaType::Map => typed_map(schema, value, replace_null),
        SchemaType::Struct => typed_struct(schema, value, replace_null),
    }
}

fn mismatch(expected: &str, got: &Value) -> Error {
    Error::data(format!("expected {expected} but found {}", got.type_name()))
}

fn expect(value: Value, expected: &str, ok: impl Fn(&Value) -> bool) -> Result<Value> {
    if ok(&value) {
        Ok(value)
    } else {
        Err(mismatch(expected, &value))
    }
}

fn int_in_range(value: Value, min: i64, max: i64, name: &str) -> Result<Value> {
    match value.as_i64() {
        Some(i) if (min..=max).contains(&i) => Ok(Value::Int(i)),
        Some(i) => Err(Error::data(format!("{i} is out of range for {name}"))),
        None => Err(mismatch(name, &value)),
    }
}

fn typed_array(schema: &Schema, value: Value, replace_null: bool) -> Result<Value> {
    let Value::Array(items) = value else {
        return Err(mismatch("array", &value));
    };
    let Some(item_schema) = &schema.items else {
        return Ok(Value::Array(items));
    };
    items
        .into_iter()
        .map(|item| typed(item_schema, item, replace_null))
        .collect::<Result<_>>()
        .map(Value::Array)
}

fn typed_map(schema: &Schema, value: Value, replace_null: bool) -> Result<Value> {
    let Value::Map(map) = value else {
        return Err(mismatch("map", &value));
    };
    let Some(value_schema) = &schema.items else {
        return Ok(Value::Map(map));
    };
    map.into_iter()
        .map(|(k, v)| Ok((k, typed(value_schema, v, replace_null)?)))
        .collect::<Result<_>>()
        .map(Value::Map)
}

fn typed_struct(schema: &Schema, value: Value, replace_null: bool) -> Result<Value> {
    let Value::Map(mut map) = value else {
        return Err(mismatch("struct", &value));
    };
    let mut out = Map::with_capacity(schema.fields.len());
    for field in &schema.fields {
        let v = match map.swap_remove(field.name.as_str()) {
            Some(v) => typed(&field.schema, v, replace_null),
            // An absent field takes its default: that is what a default is for.
            None => typed(&field.schema, Value::Null, true),
        };
        out.insert(
            field.name.as_str().into(),
            v.map_err(|e| e.context(format!("field {}", field.name)))?,
        );
    }
    Ok(Value::Map(out))
}

fn timestamp_from_millis(value: &Value) -> Result<Value> {
    let ms = value
        .as_i64()
        .ok_or_else(|| mismatch("epoch milliseconds", value))?;
    DateTime::from_timestamp_millis(ms)
        .map(Value::Timestamp)
        .ok_or_else(|| Error::data(format!("timestamp {ms} ms is out of range")))
}

fn date_from_days(value: &Value) -> Result<Value> {
    let days = value
        .as_i64()
        .ok_or_else(|| mismatch("days since the epoch", value))?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    epoch
        .checked_add_signed(Duration::days(days))
        .map(Value::Date)
        .ok_or_else(|| Error::data(format!("date {days} days is out of range")))
}

fn decimal_scale(schema: &Schema) -> Result<i64> {
    let text = schema.parameter("scale").unwrap_or("0");
    text.parse()
        .map_err(|_| Error::data(format!("decimal scale \"{text}\" is not an integer")))
}

fn decimal_from_payload(schema: &Schema, value: &Value) -> Result<Value> {
    let scale = decimal_scale(schema)?;
    let decimal = match value {
        Value::String(_) => {
            let bytes = bytes_from_base64(value)?;
            BigDecimal::new(BigInt::from_signed_bytes_be(&bytes), scale)
        }
        Value::Int(i) => BigDecimal::from(*i),
        Value::UInt(u) => BigDecimal::from(*u),
        Value::BigInt(b) => BigDecimal::new((**b).clone(), 0),
        Value::Decimal(d) => (**d).clone(),
        Value::Float(f) => BigDecimal::from_str(&format!("{f:?}"))
            .map_err(|e| Error::data(format!("decimal {f}: {e}")))?,
        other => return Err(mismatch("decimal", other)),
    };
    Ok(Value::Decimal(Box::new(decimal)))
}

fn bytes_from_base64(value: &Value) -> Result<Bytes> {
    let text = value
        .as_str()
        .ok_or_else(|| mismatch("base64 string", value))?;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map(Bytes::from)
        .map_err(|e| Error::data(format!("invalid base64 for bytes: {e}")))
}

/// Turns a typed value back into the JSON payload its schema describes.
fn untyped(schema: &Schema, value: &Value) -> Result<Value> {
    Ok(match (schema.name.as_deref(), value) {
        (_, Value::Null) => Value::Null,
        (Some(schema::TIMESTAMP), Value::Timestamp(t)) => Value::Int(t.timestamp_millis()),
        (Some(schema::DATE), Value::Date(d)) => {
            let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
            Value::Int((*d - epoch).num_days())
        }
        (Some(schema::DECIMAL), Value::Decimal(d)) => {
            let scaled = d.with_scale(decimal_scale(schema)?);
            let (unscaled, _) = scaled.as_bigint_and_exponent();
            let encoded =
                base64::engine::general_purpose::STANDARD.encode(unscaled.to_signed_bytes_be());
            Value::String(encoded.into())
        }
        (_, Value::Bytes(b)) => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(b).into())
        }
        (_, Value::Array(items)) => match &schema.items {
            Some(s) => Value::Array(items.iter().map(|i| untyped(s, i)).collect::<Result<_>>()?),
            None => value.clone(),
        },
        (_, Value::Map(map)) if schema.kind == SchemaType::Struct => {
            let mut out = Map::with_capacity(map.len());
            for field in &schema.fields {
                let v = map.get(field.name.as_str()).unwrap_or(&Value::Null);
                out.insert(field.name.as_str().into(), untyped(&field.schema, v)?);
            }
            Value::Map(out)
        }
        _ => value.clone(),
    })
}

/// Kafka Connect's StringConverter. As there, bytes that are not UTF-8 are read with each
/// bad sequence replaced by U+FFFD: a binary key never fails a task.
#[derive(Clone, Copy, Debug)]
pub struct StringConverter;

impl Converter for StringConverter {
    fn to_data(&self, _topic: &str, bytes: Option<&[u8]>) -> Result<Data> {
        let Some(bytes) = bytes else {
            return Ok(Data::schemaless(Value::Null));
        };
        let text = String::from_utf8_lossy(bytes);
        Ok(Data::schemaless(Value::String(text.as_ref().into())))
    }

    fn from_data(&self, _topic: &str, data: &Data) -> Result<Option<Vec<u8>>> {
        Ok(match &data.value {
            Value::Null => None,
            Value::String(s) => Some(s.as_bytes().to_vec()),
            other => Some(json::to_vec(other)?),
        })
    }
}

/// Kafka Connect's ByteArrayConverter: bytes pass through untouched.
#[derive(Clone, Copy, Debug)]
pub struct BytesConverter;

impl Converter for BytesConverter {
    fn to_data(&self, _topic: &str, bytes: Option<&[u8]>) -> Result<Data> {
        let value = bytes.map_or(Value::Null, |b| Value::Bytes(Bytes::copy_from_slice(b)));
        Ok(Data::schemaless(value))
    }

    fn from_data(&self, _topic: &str, data: &Data) -> Result<Option<Vec<u8>>> {
        match &data.value {
            Value::Null => Ok(None),
            Value::Bytes(b) => Ok(Some(b.to_vec())),
            Value::String(s) => Ok(Some(s.as_bytes().to_vec())),
            other => Err(mismatch("bytes", other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_converter(schemas: bool) -> Arc<dyn Converter> {
        let mut settings = BTreeMap::default();
        settings.insert("schemas.enable".to_string(), schemas.to_string());
        build("json", &settings).unwrap()
    }

    #[test]
    fn envelope_types_the_payload() {
        let text = br#"{"schema":{"type":"struct","fields":[
            {"field":"id","type":"int64"},
            {"field":"at","type":"int64","name":"org.apache.kafka.connect.data.Timestamp"},
            {"field":"day","type":"int32","name":"org.apache.kafka.connect.data.Date"},
            {"field":"name","type":"string","optional":true,"default":"default_str"}]},
            "payload":{"id":1,"at":1700000000123,"day":-354285,"name":null}}"#;
        let data = json_converter(true).to_data("t", Some(text)).unwrap();
        let v = data.value;
        assert_eq!(v.get_path("id"), Some(&Value::Int(1)));
        let at = DateTime::from_timestamp_millis(1_700_000_000_123).unwrap();
        assert_eq!(v.get_path("at"), Some(&Value::Timestamp(at)));
        let day = NaiveDate::from_ymd_opt(1000, 1, 1).unwrap();
        assert_eq!(v.get_path("day"), Some(&Value::Date(day)));
        assert_eq!(
            v.get_path("name"),
            Some(&Value::Null),
            "explicit null is kept"
        );
    }

    #[test]
    fn a_null_default_of_a_required_schema_is_an_error_not_a_loop() {
        let conv = json_converter(true);
        for text in [
            &br#"{"schema":{"type":"int32","default":null},"payload":null}"#[..],
            concat!(
                r#"{"schema":{"type":"struct","fields":[{"field":"a","type":"string","#,
                r#""default":null}]},"payload":{}}"#
            )
            .as_bytes(),
        ] {
            let err = conv.to_data("t", Some(text)).unwrap_err();
            assert!(
                err.message.contains("null for a required"),
                "{}",
                err.message
            );
        }
    }

    #[test]
    fn plain_json_with_schemas_enabled_is_a_data_error() {
        let err = json_converter(true)
            .to_data("t", Some(br#"{"id":1}"#))
            .unwrap_err();
        assert!(err.message.contains("schemas.enable"), "{}", err.message);
    }

    #[test]
    fn decimal_roundtrips_through_base64() {
        let text = br#"{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal",
            "parameters":{"scale":"2"}},"payload":"AeJA"}"#;
        let conv = json_converter(true);
        let data = conv.to_data("t", Some(text)).unwrap();
        assert_eq!(
            data.value,
            Value::Decimal(Box::new(BigDecimal::from_str("1234.56").unwrap()))
        );
        let back = conv.from_data("t", &data).unwrap().unwrap();
        let again = conv.to_data("t", Some(&back)).unwrap();
        assert_eq!(again, data);
    }

    #[test]
    fn tombstones_stay_null() {
        let conv = json_converter(false);
        assert_eq!(conv.to_data("t", None).unwrap().value, Value::Null);
        assert_eq!(
            conv.from_data("t", &Data::schemaless(Value::Null)).unwrap(),
            None
        );
    }

    #[test]
    fn string_converter_replaces_bytes_that_are_not_utf8() {
        let data = StringConverter.to_data("t", Some(b"\xff\x00bin")).unwrap();
        assert_eq!(data.value, Value::from("\u{fffd}\u{0}bin"));
    }

    #[test]
    fn unknown_converter_is_a_config_error() {
        let err = build("avro", &BTreeMap::default()).err().unwrap();
        assert_eq!(err.fault, crate::error::Fault::Config);
        assert!(err.message.contains("avro"));
    }
}
