//! Kafka Connect's schema model, as far as the JSON converter's envelope needs it.
//!
//! A schema is optional everywhere in Sluice: schemaless JSON is the normal case and sinks map
//! values by the target's own columns. When a topic carries Kafka Connect's
//! `{"schema": ..., "payload": ...}` envelope, the schema decides the exact type of each
//! payload value (an `int64` stays an integer, `bytes` are base64, logical types become
//! timestamps, dates and decimals).

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::value::{Map, Value};

/// Logical type name of Kafka Connect's millisecond timestamps (`int64`).
pub const TIMESTAMP: &str = "org.apache.kafka.connect.data.Timestamp";
/// Logical type name of Kafka Connect's dates, days since the epoch (`int32`).
pub const DATE: &str = "org.apache.kafka.connect.data.Date";
/// Logical type name of Kafka Connect's time of day in milliseconds (`int32`).
pub const TIME: &str = "org.apache.kafka.connect.data.Time";
/// Logical type name of Kafka Connect's decimals (`bytes`, parameter `scale`).
pub const DECIMAL: &str = "org.apache.kafka.connect.data.Decimal";

/// The primitive or container type of a schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchemaType {
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Boolean,
    String,
    Bytes,
    Array,
    Map,
    Struct,
}

impl SchemaType {
    /// Parses Kafka Connect's lower-case type name.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "int8" => Self::Int8,
            "int16" => Self::Int16,
            "int32" => Self::Int32,
            "int64" => Self::Int64,
            "float" | "float32" => Self::Float32,
            "double" | "float64" => Self::Float64,
            "boolean" => Self::Boolean,
            "string" => Self::String,
            "bytes" => Self::Bytes,
            "array" => Self::Array,
            "map" => Self::Map,
            "struct" => Self::Struct,
            _ => return None,
        })
    }

    /// Kafka Connect's name for this type.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Int8 => "int8",
            Self::Int16 => "int16",
            Self::Int32 => "int32",
            Self::Int64 => "int64",
            Self::Float32 => "float",
            Self::Float64 => "double",
            Self::Boolean => "boolean",
            Self::String => "string",
            Self::Bytes => "bytes",
            Self::Array => "array",
            Self::Map => "map",
            Self::Struct => "struct",
        }
    }
}

/// One field of a struct schema.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The field's name.
    pub name: String,
    /// The field's schema.
    pub schema: Arc<Schema>,
}

/// A Kafka Connect schema.
#[derive(Clone, Debug, PartialEq)]
pub struct Schema {
    /// The type.
    pub kind: SchemaType,
    /// Whether null is allowed.
    pub optional: bool,
    /// The schema's name; for logical types, the logical type.
    pub name: Option<String>,
    /// The schema's version.
    pub version: Option<i64>,
    /// The schema's documentation.
    pub doc: Option<String>,
    /// Parameters such as a decimal's `scale`, in their original order.
    pub parameters: Vec<(String, String)>,
    /// The default, used only when a field is absent (never for an explicit null).
    pub default: Option<Value>,
    /// Fields of a struct, in order.
    pub fields: Vec<Field>,
    /// Element schema of an array, value schema of a map.
    pub items: Option<Arc<Schema>>,
    /// Key schema of a map.
    pub keys: Option<Arc<Schema>>,
}

impl Schema {
    /// A schema of the given type with nothing else set.
    pub fn new(kind: SchemaType) -> Self {
        Self {
            kind,
            optional: false,
            name: None,
            version: None,
            doc: None,
            parameters: Vec::new(),
            default: None,
            fields: Vec::new(),
            items: None,
            keys: None,
        }
    }

    /// A parameter's value.
    pub fn parameter(&self, key: &str) -> Option<&str> {
        self.parameters
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Reads a schema from the `schema` member of Kafka Connect's JSON envelope.
    pub fn from_json(value: &Value) -> Result<Self> {
        let map = value.as_map().ok_or_else(|| {
            Error::data(format!(
                "schema must be an object, not {}",
                value.type_name()
            ))
        })?;
        let type_name = map
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::data("schema has no \"type\""))?;
        let kind = SchemaType::parse(type_name)
            .ok_or_else(|| Error::data(format!("unknown schema type \"{type_name}\"")))?;
        let mut schema = Schema::new(kind);
        schema.optional = matches!(map.get("optional"), Some(Value::Bool(true)));
        schema.name = map.get("name").and_then(Value::as_str).map(str::to_owned);
        schema.version = map.get("version").and_then(Value::as_i64);
        schema.doc = map.get("doc").and_then(Value::as_str).map(str::to_owned);
        schema.parameters = read_parameters(map.get("parameters"));
        schema.fields = read_fields(map.get("fields"), kind)?;
        schema.items = map
            .get("items")
            .or(map.get("values"))
            .map(Self::nested)
            .transpose()?;
        schema.keys = map.get("keys").map(Self::nested).transpose()?;
        schema.default = map.get("default").cloned();
        Ok(schema)
    }

    fn nested(value: &Value) -> Result<Arc<Schema>> {
        Self::from_json(value).map(Arc::new)
    }

    /// Writes this schema in Kafka Connect's JSON form.
    pub fn to_json(&self) -> Value {
        let mut map = Map::default();
        map.insert("type".into(), self.kind.as_str().into());
        if !self.fields.is_empty() {
            let fields = self.fields.iter().map(|f| {
                let mut v = f.schema.to_json();
                if let Value::Map(m) = &mut v {
                    m.insert("field".into(), f.name.clone().into());
                }
                v
            });
            map.insert("fields".into(), Value::Array(fields.collect()));
        }
        if let Some(items) = &self.items {
            let key = if self.kind == SchemaType::Map {
                "values"
            } else {
                "items"
            };
            map.insert(key.into(), items.to_json());
        }
        if let Some(keys) = &self.keys {
            map.insert("keys".into(), keys.to_json());
        }
        map.insert("optional".into(), self.optional.into());
        if let Some(name) = &self.name {
            map.insert("name".into(), name.clone().into());
        }
        if let Some(version) = self.version {
            map.insert("version".into(), version.into());
        }
        if !self.parameters.is_empty() {
            let params = self
                .parameters
                .iter()
                .map(|(k, v)| (k.as_str().into(), v.clone().into()));
            map.insert("parameters".into(), Value::Map(params.collect()));
        }
        if let Some(default) = &self.default {
            map.insert("default".into(), default.clone());
        }
        Value::Map(map)
    }
}

fn read_parameters(value: Option<&Value>) -> Vec<(String, String)> {
    let Some(Value::Map(map)) = value else {
        return Vec::new();
    };
    map.iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s.to_string(),
                other => String::from_utf8_lossy(&crate::json::to_vec(other).unwrap_or_default())
                    .into_owned(),
            };
            (k.to_string(), text)
        })
        .collect()
}

fn read_fields(value: Option<&Value>, kind: SchemaType) -> Result<Vec<Field>> {
    let Some(value) = value else {
        return match kind {
            SchemaType::Struct => Err(Error::data("struct schema has no \"fields\"")),
            _ => Ok(Vec::new()),
        };
    };
    let Value::Array(items) = value else {
        return Err(Error::data("schema \"fields\" must be an array"));
    };
    items
        .iter()
        .map(|item| {
            let name = item
                .get_path("field")
                .and_then(Value::as_str)
                .ok_or_else(|| Error::data("struct field has no \"field\" name"))?;
            let schema = Schema::nested(item).map_err(|e| e.context(format!("field {name}")))?;
            Ok(Field {
                name: name.to_owned(),
                schema,
            })
        })
        .collect()
}
