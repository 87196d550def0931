//! Records as they travel from Kafka through the transform chain to a sink, and from a
//! source into Kafka.

use std::sync::Arc;

use bytes::Bytes;

use crate::schema::Schema;
use crate::value::Value;

/// A topic and partition.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    /// The topic.
    pub topic: Arc<str>,
    /// The partition.
    pub partition: i32,
}

/// Where a record was read from. It never changes through the pipeline: committed offsets
/// are always these original coordinates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// Topic and partition read from.
    pub tp: TopicPartition,
    /// Offset read at.
    pub offset: i64,
    /// The key's bytes and then the value's, as read, kept for the dead-letter topic. One
    /// buffer, not two, because the sink loop copies every record it reads.
    raw: Box<[u8]>,
    /// Length of the key in `raw`; `None` for a null key.
    key_len: Option<usize>,
    /// Whether the value is present (`false`: a null value, a tombstone).
    has_value: bool,
}

impl Origin {
    /// The coordinates of a record and its bytes as read.
    pub fn new(tp: TopicPartition, offset: i64, key: Option<&[u8]>, value: Option<&[u8]>) -> Self {
        let key_len = key.map(<[u8]>::len);
        let mut raw = Vec::with_capacity(key_len.unwrap_or(0) + value.map_or(0, <[u8]>::len));
        raw.extend_from_slice(key.unwrap_or_default());
        raw.extend_from_slice(value.unwrap_or_default());
        Self {
            tp,
            offset,
            raw: raw.into_boxed_slice(),
            key_len,
            has_value: value.is_some(),
        }
    }

    /// The key as read; `None` for a null key.
    pub fn raw_key(&self) -> Option<&[u8]> {
        self.key_len.map(|n| &self.raw[..n])
    }

    /// The value as read; `None` for a null value.
    pub fn raw_value(&self) -> Option<&[u8]> {
        self.has_value
            .then(|| &self.raw[self.key_len.unwrap_or(0)..])
    }

    /// How many bytes of key and value were read.
    pub fn raw_len(&self) -> usize {
        self.raw.len()
    }

    /// The `topic/p<partition>@<offset>` label used in logs, traces and errors.
    pub fn coordinates(&self) -> String {
        format!("{}/p{}@{}", self.tp.topic, self.tp.partition, self.offset)
    }
}

/// A Kafka record header; the value is kept as bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The header's key.
    pub key: String,
    /// The header's value; `None` is a null header value.
    pub value: Option<Bytes>,
}

/// A record in the sink pipeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// The topic this record is addressed to now; transforms may rename it.
    pub topic: Arc<str>,
    /// The partition, as read.
    pub partition: i32,
    /// The offset, as read.
    pub offset: i64,
    /// Record timestamp in epoch milliseconds, if the broker gave one.
    pub timestamp: Option<i64>,
    /// The key's schema, when the converter found one.
    pub key_schema: Option<Arc<Schema>>,
    /// The decoded key; [`Value::Null`] for none.
    pub key: Value,
    /// The value's schema, when the converter found one.
    pub value_schema: Option<Arc<Schema>>,
    /// The decoded value; [`Value::Null`] for a tombstone.
    pub value: Value,
    /// Headers in their original order.
    pub headers: Vec<Header>,
    /// Where it came from.
    pub origin: Arc<Origin>,
}

impl Record {
    /// A schemaless record read at `topic`/`partition`/`offset`, with no raw bytes kept;
    /// for tests and for stages that make records of their own.
    pub fn new(topic: &str, partition: i32, offset: i64, key: Value, value: Value) -> Self {
        let topic: Arc<str> = Arc::from(topic);
        let tp = TopicPartition {
            topic: topic.clone(),
            partition,
        };
        let origin = Arc::new(Origin::new(tp, offset, None, None));
        Self {
            topic,
            partition,
            offset,
            timestamp: None,
            key_schema: None,
            key,
            value_schema: None,
            value,
            headers: Vec::new(),
            origin,
        }
    }

    /// Whether the value is null, as in a tombstone.
    pub fn is_tombstone(&self) -> bool {
        self.value.is_null()
    }

    /// The `p<partition>@<offset>` label used in logs and traces, with the topic.
    pub fn coordinates(&self) -> String {
        self.origin.coordinates()
    }

    /// An approximate in-memory size, used to bound batches by bytes.
    pub fn size_hint(&self) -> usize {
        64 + self.origin.raw_len()
    }
}

/// A record produced by a source task, addressed to a Kafka topic.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceRecord {
    /// Which part of the source this came from, e.g. `{"filename": "/tmp/in.txt"}`.
    pub source_partition: serde_json::Value,
    /// How far into that part this record is, e.g. `{"position": 1024}`.
    pub source_offset: serde_json::Value,
    /// The Kafka topic to write to.
    pub topic: String,
    /// The Kafka partition, or `None` to let the producer's partitioner choose.
    pub partition: Option<i32>,
    /// The key's schema, if any.
    pub key_schema: Option<Arc<Schema>>,
    /// The key.
    pub key: Value,
    /// The value's schema, if any.
    pub value_schema: Option<Arc<Schema>>,
    /// The value.
    pub value: Value,
    /// Record timestamp in epoch milliseconds.
    pub timestamp: Option<i64>,
    /// Headers.
    pub headers: Vec<Header>,
}
