//! Offsets management in Kafka Connect's KIP-875 shapes: read, alter and reset a
//! connector's offsets. Altering and resetting require the connector to be STOPPED, so no
//! task is reading while its position changes.
//!
//! A sink's offsets are its consumer group's (`connect-<name>`) committed offsets; resetting
//! deletes the group, so the next start reads from `auto.offset.reset`. A source's offsets
//! are in the worker's offset store. Deleting a connector keeps its offsets: creating it
//! again under the same name resumes where it was.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::json;
use sluice_core::config::{split_list, Settings};
use sluice_core::connector::ConnectorKind;

use super::model::{Offsets, PartitionOffset};
use super::{Worker, WorkerError, WorkerResult};
use crate::kafka::{client_config, sink_group_id, ClientKind};
use crate::status::TargetState;

const KAFKA_TIMEOUT: Duration = Duration::from_secs(10);

impl Worker {
    /// The offsets of a connector.
    pub async fn offsets(&self, name: &str) -> WorkerResult<Offsets> {
        let (kind, _, config) = self.offsets_target(name).await?;
        match kind {
            ConnectorKind::Source => {
                let stored = self.inner_offsets().get(name).await.map_err(internal)?;
                let offsets = stored
                    .into_iter()
                    .map(|(partition, offset)| PartitionOffset { partition, offset })
                    .collect();
                Ok(Offsets { offsets })
            }
            ConnectorKind::Sink => {
                let consumer = self.group_consumer(name, &config)?;
                blocking(move || sink_offsets(&consumer, &config)).await
            }
        }
    }

    /// Resets a stopped connector's offsets.
    pub async fn reset_offsets(&self, name: &str) -> WorkerResult<()> {
        let (kind, target, config) = self.offsets_target(name).await?;
        require_stopped(name, target)?;
        match kind {
            ConnectorKind::Source => self.inner_offsets().remove(name).await.map_err(internal),
            ConnectorKind::Sink => {
                let admin: AdminClient<DefaultClientContext> =
                    client_config(self.config(), &config, ClientKind::Admin)
                        .create()
                        .map_err(|e| WorkerError::Internal(format!("admin client: {e}")))?;
                let group = sink_group_id(name);
                let results = admin
                    .delete_groups(
                        &[group.as_str()],
                        &AdminOptions::new().operation_timeout(Some(KAFKA_TIMEOUT)),
                    )
                    .await
                    .map_err(|e| {
                        WorkerError::Internal(format!("delete consumer group {group}: {e}"))
                    })?;
                for result in results {
                    match result {
                        Ok(_) => {}
                        // A group that never committed has nothing to reset.
                        Err((_, rdkafka::types::RDKafkaErrorCode::GroupIdNotFound)) => {}
                        Err((g, code)) => {
                            return Err(WorkerError::Internal(format!(
                                "delete consumer group {g}: {code}"
                            )))
                        }
                    }
                }
                Ok(())
            }
        }
    }

    /// Alters a stopped connector's offsets; a null offset resets that partition.
    pub async fn alter_offsets(&self, name: &str, body: Offsets) -> WorkerResult<()> {
        let (kind, target, config) = self.offsets_target(name).await?;
        require_stopped(name, target)?;
        match kind {
            ConnectorKind::Source => {
                let entries = self.source_entries(&config, body)?;
                self.inner_offsets()
                    .put(name, &entries)
                    .await
                    .map_err(internal)
            }
            ConnectorKind::Sink => {
                let entries = sink_entries(&body)?;
                let consumer = self.group_consumer(name, &config)?;
                blocking(move || {
                    let tpl = sink_commit_list(&consumer, &entries)?;
                    consumer
                        .commit(&tpl, CommitMode::Sync)
                        .map_err(commit_error)
                })
                .await
            }
        }
    }

    /// Reads a KIP-875 source body; the connector checks each entry, as Kafka Connect's
    /// `alterOffsets` does.
    fn source_entries(
        &self,
        config: &Settings,
        body: Offsets,
    ) -> WorkerResult<Vec<(serde_json::Value, serde_json::Value)>> {
        if body.offsets.is_empty() {
            return Err(WorkerError::BadRequest(
                "The list of offsets to alter must not be empty".into(),
            ));
        }
        let plugin = config
            .get("connector.class")
            .and_then(|c| self.plugins().connector(c));
        for (i, o) in body.offsets.iter().enumerate() {
            if let Some(Err(m)) = plugin.map(|p| p.check_offset(&o.partition, &o.offset)) {
                return Err(WorkerError::BadRequest(format!("offsets[{i}]: {m}")));
            }
        }
        Ok(body
            .offsets
            .into_iter()
            .map(|o| (o.partition, o.offset))
            .collect())
    }

    fn group_consumer(&self, name: &str, config: &Settings) -> WorkerResult<BaseConsumer> {
        let mut c = client_config(self.config(), config, ClientKind::Consumer);
        c.set("group.id", sink_group_id(name))
            .set("enable.auto.commit", "false");
        c.create()
            .map_err(|e| WorkerError::Internal(format!("consumer: {e}")))
    }
}

fn internal(e: sluice_core::Error) -> WorkerError {
    WorkerError::Internal(e.message)
}

fn require_stopped(name: &str, target: TargetState) -> WorkerResult<()> {
    if target == TargetState::Stopped {
        return Ok(());
    }
    Err(WorkerError::BadRequest(format!(
        "Connectors must be in the STOPPED state before their offsets can be modified. \
         This can be done for the specified connector by issuing a 'PUT' request to the \
         '/connectors/{name}/stop' endpoint"
    )))
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> WorkerResult<T> + Send + 'static,
) -> WorkerResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| WorkerError::Internal(format!("offsets call: {e}")))?
}

/// Reads the committed offsets of every partition of the sink's topics.
fn sink_offsets(consumer: &BaseConsumer, config: &Settings) -> WorkerResult<Offsets> {
    let metadata = consumer
        .fetch_metadata(None, KAFKA_TIMEOUT)
        .map_err(|e| WorkerError::Internal(format!("metadata: {e}")))?;
    let topics = split_list(config.get("topics").map_or("", String::as_str));
    let regex = config
        .get("topics.regex")
        .filter(|r| !r.trim().is_empty())
        .and_then(|r| regex::Regex::new(&format!("^(?:{})$", r.trim())).ok());
    let mut tpl = TopicPartitionList::new();
    for t in metadata.topics() {
        let wanted = topics.iter().any(|n| n == t.name())
            || regex.as_ref().is_some_and(|r| r.is_match(t.name()));
        if wanted {
            for p in t.partitions() {
                tpl.add_partition(t.name(), p.id());
            }
        }
    }
    let committed = consumer
        .committed_offsets(tpl, KAFKA_TIMEOUT)
        .map_err(|e| WorkerError::Internal(format!("committed offsets: {e}")))?;
    let offsets = committed
        .elements()
        .iter()
        .filter_map(|e| match e.offset() {
            Offset::Offset(o) => Some(PartitionOffset {
                partition: json!({"kafka_topic": e.topic(), "kafka_partition": e.partition()}),
                offset: json!({"kafka_offset": o}),
            }),
            _ => None,
        })
        .collect();
    Ok(Offsets { offsets })
}

/// One partition of a sink offsets PATCH: topic, partition, and the offset (`None`: reset).
type SinkEntry = (String, i32, Option<i64>);

/// Reads a KIP-875 sink body, naming the entry at fault. Like Kafka Connect, numbers may be
/// given as numeric strings.
fn sink_entries(body: &Offsets) -> WorkerResult<Vec<SinkEntry>> {
    if body.offsets.is_empty() {
        return Err(WorkerError::BadRequest(
            "The list of offsets to alter must not be empty".into(),
        ));
    }
    body.offsets
        .iter()
        .enumerate()
        .map(|(i, entry)| sink_entry(i, entry))
        .collect()
}

fn sink_entry(i: usize, entry: &PartitionOffset) -> WorkerResult<SinkEntry> {
    let bad = |what: &str| WorkerError::BadRequest(format!("offsets[{i}]: {what}"));
    let topic = entry
        .partition
        .get("kafka_topic")
        .and_then(|t| t.as_str())
        .ok_or_else(|| bad("partition needs a string kafka_topic"))?;
    sluice_core::config::check_topic_name(topic).map_err(|m| bad(&m))?;
    let partition = entry
        .partition
        .get("kafka_partition")
        .and_then(non_negative)
        .and_then(|p| i32::try_from(p).ok())
        .ok_or_else(|| bad("partition needs a non-negative integer kafka_partition"))?;
    let offset = match &entry.offset {
        serde_json::Value::Null => None,
        o => Some(
            o.get("kafka_offset")
                .and_then(non_negative)
                .ok_or_else(|| bad("offset needs a non-negative integer kafka_offset, or null"))?,
        ),
    };
    Ok((topic.to_owned(), partition, offset))
}

/// A non-negative integer given as a JSON number or a numeric string.
fn non_negative(v: &serde_json::Value) -> Option<i64> {
    let n = match v {
        serde_json::Value::String(s) => s.trim().parse().ok()?,
        other => other.as_i64()?,
    };
    (n >= 0).then_some(n)
}

/// Builds the commit list; a reset partition gets its earliest offset, which is where
/// `auto.offset.reset=earliest` would start it.
fn sink_commit_list(
    consumer: &BaseConsumer,
    entries: &[SinkEntry],
) -> WorkerResult<TopicPartitionList> {
    let mut tpl = TopicPartitionList::new();
    for (topic, partition, offset) in entries {
        let offset = match offset {
            Some(o) => *o,
            None => {
                let (low, _) = consumer
                    .fetch_watermarks(topic, *partition, KAFKA_TIMEOUT)
                    .map_err(|e| WorkerError::BadRequest(format!("{topic}/{partition}: {e}")))?;
                low
            }
        };
        tpl.add_partition_offset(topic, *partition, Offset::Offset(offset))
            .map_err(|e| WorkerError::BadRequest(format!("{topic}/{partition}: {e}")))?;
    }
    Ok(tpl)
}

/// A failed commit of altered offsets: the caller's mistake when it names a topic or
/// partition that does not exist, ours otherwise.
fn commit_error(e: rdkafka::error::KafkaError) -> WorkerError {
    use rdkafka::types::RDKafkaErrorCode;
    match e.rdkafka_error_code() {
        Some(RDKafkaErrorCode::UnknownTopicOrPartition) => WorkerError::BadRequest(format!(
            "commit offsets: {e}: the request names a topic or partition that does not exist"
        )),
        _ => WorkerError::Internal(format!("commit offsets: {e}")),
    }
}
