//! The connector plugin trait and the task traits the runtime drives.
//!
//! A sink task receives batches and answers, per batch, which records (if any) the target
//! rejected as bad data; an `Err` is about the whole batch, and its [`Fault`] tells a
//! transient failure (retried with backoff, consumer paused) from a fatal one. A source task
//! is polled for records and learns which of them Kafka has acknowledged.
//!
//! [`Fault`]: crate::error::Fault

use std::collections::HashMap;

use async_trait::async_trait;

use crate::config::{ConfigDef, Settings};
use crate::error::{Error, Result};
use crate::record::{Record, SourceRecord, TopicPartition};

/// Whether a connector reads Kafka or writes into it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectorKind {
    /// Reads Kafka topics and writes to an external system.
    Sink,
    /// Reads an external system and writes to Kafka.
    Source,
}

impl ConnectorKind {
    /// Kafka Connect's lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sink => "sink",
            Self::Source => "source",
        }
    }
}

/// A connector implementation: its identity, its config keys and its task factory.
pub trait ConnectorPlugin: Send + Sync {
    /// The full class name, as Kafka Connect would show it.
    fn class(&self) -> &'static str;
    /// Short names accepted in `connector.class`.
    fn aliases(&self) -> &'static [&'static str];
    /// Sink or source.
    fn kind(&self) -> ConnectorKind;
    /// The plugin's version.
    fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }
    /// The keys this connector accepts besides the common ones.
    fn config_def(&self) -> ConfigDef;
    /// Rules across keys that a single key's check cannot express. No I/O.
    fn validate(&self, _settings: &Settings) -> Vec<(String, String)> {
        Vec::new()
    }
    /// Splits the connector's work into at most `max_tasks` task configurations. The default
    /// gives every task the connector's settings, which suits sinks: their tasks share the
    /// work through the consumer group.
    fn task_configs(&self, settings: &Settings, max_tasks: usize) -> Vec<Settings> {
        vec![settings.clone(); max_tasks.max(1)]
    }
    /// Checks one entry of an offsets PATCH (`PATCH /connectors/{name}/offsets`, Kafka
    /// Connect's `Connector.alterOffsets`) for a source connector, before anything is
    /// written, so that a bad entry is refused instead of derailing the task when it starts.
    /// It sees only the two JSON values: no I/O. A `null` offset means "reset this
    /// partition" and must be accepted for any partition the connector would accept. The
    /// error is a message naming what is wrong. The default accepts anything.
    fn check_offset(
        &self,
        _partition: &serde_json::Value,
        _offset: &serde_json::Value,
    ) -> std::result::Result<(), String> {
        Ok(())
    }
    /// Creates a sink task for one task configuration.
    fn sink_task(&self, _settings: &Settings) -> Result<Box<dyn SinkTask>> {
        Err(Error::config(format!(
            "{} is not a sink connector",
            self.class()
        )))
    }
    /// Creates a source task for one task configuration.
    fn source_task(&self, _settings: &Settings) -> Result<Box<dyn SourceTask>> {
        Err(Error::config(format!(
            "{} is not a source connector",
            self.class()
        )))
    }
}

/// One record of a batch that the target rejected.
#[derive(Clone, Debug, PartialEq)]
pub struct Rejected {
    /// Index of the record in the batch passed to [`SinkTask::write`].
    pub index: usize,
    /// Why it was rejected; normally a data fault.
    pub error: Error,
}

/// What became of a batch that a sink accepted.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WriteOutcome {
    /// Records the target refused; every other record of the batch is acknowledged.
    pub rejected: Vec<Rejected>,
}

impl WriteOutcome {
    /// Every record was accepted.
    pub fn all_written() -> Self {
        Self::default()
    }
}

/// A task that writes batches of records to an external system.
#[async_trait]
pub trait SinkTask: Send {
    /// Called when partitions are assigned to this task.
    async fn open(&mut self, _partitions: &[TopicPartition]) -> Result<()> {
        Ok(())
    }
    /// Writes one batch. `Ok` means the accepted records are acknowledged by the target and
    /// their offsets may be committed once [`SinkTask::flush`] returns.
    async fn write(&mut self, batch: &[Record]) -> Result<WriteOutcome>;
    /// Makes everything acknowledged so far durable; called before each offset commit.
    async fn flush(&mut self) -> Result<()> {
        Ok(())
    }
    /// Whether [`SinkTask::write`] looks at record headers. A sink that never does says
    /// so, and the loop then skips reading them (records reach it with none), unless a
    /// transform or the dead-letter topic needs them.
    fn reads_headers(&self) -> bool {
        true
    }

    /// Called when partitions are revoked from this task.
    async fn close(&mut self, _partitions: &[TopicPartition]) -> Result<()> {
        Ok(())
    }
    /// Called once when the task stops.
    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Source offsets known for a task when it starts, keyed by the JSON text of the source
/// partition.
#[derive(Clone, Debug, Default)]
pub struct SourceContext {
    /// Last committed offset per source partition.
    pub offsets: HashMap<String, serde_json::Value>,
}

impl SourceContext {
    /// The committed offset of one source partition.
    pub fn offset(&self, partition: &serde_json::Value) -> Option<&serde_json::Value> {
        self.offsets.get(&partition.to_string())
    }
}

/// A task that reads an external system and hands records to the runtime for Kafka.
#[async_trait]
pub trait SourceTask: Send {
    /// Called once before the first poll, with the offsets committed before.
    async fn start(&mut self, context: &SourceContext) -> Result<()>;
    /// Returns the next records, or none when there is nothing yet. It should return within
    /// about a second so that the task notices a stop request; the runtime does not cancel it.
    async fn poll(&mut self) -> Result<Vec<SourceRecord>>;
    /// Called after offsets up to the acknowledged records were stored.
    async fn commit(&mut self) -> Result<()> {
        Ok(())
    }
    /// Called once when the task stops.
    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A plugin that overrides nothing optional.
    struct Bare;

    impl ConnectorPlugin for Bare {
        fn class(&self) -> &'static str {
            "test.Bare"
        }
        fn aliases(&self) -> &'static [&'static str] {
            &[]
        }
        fn kind(&self) -> ConnectorKind {
            ConnectorKind::Source
        }
        fn config_def(&self) -> ConfigDef {
            ConfigDef::new()
        }
    }

    #[test]
    fn the_default_offset_check_accepts_anything() {
        assert_eq!(Bare.check_offset(&json!({"any": 1}), &json!(null)), Ok(()));
        assert_eq!(Bare.check_offset(&json!("x"), &json!([1, -2])), Ok(()));
    }
}
