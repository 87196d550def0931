//! Sluice's core types: the typed value tree, records, converters, configuration
//! definitions, the error type with its fault domain, and the traits that connectors and
//! transforms implement. Nothing here does I/O; the runtime crate drives these types.

pub mod config;
pub mod connector;
pub mod converter;
pub mod error;
pub mod json;
pub mod map;
pub mod plugins;
pub mod record;
pub mod schema;
pub mod transform;
pub mod value;

pub use error::{Error, Fault, Result};
pub use record::{Header, Origin, Record, SourceRecord, TopicPartition};
pub use value::{CompactString, Map, Value};
