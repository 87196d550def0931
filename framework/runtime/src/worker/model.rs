//! The shapes the worker answers with; they are Kafka Connect's REST bodies.

use serde::Serialize;
use sluice_core::config::Settings;

/// A connector's definition, as `GET /connectors/{name}` shows it.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ConnectorInfo {
    /// Name.
    pub name: String,
    /// Settings.
    pub config: Settings,
    /// Its tasks' ids.
    pub tasks: Vec<TaskId>,
    /// `sink` or `source`.
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// A task's id.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TaskId {
    /// Connector name.
    pub connector: String,
    /// Task number.
    pub task: u32,
}

/// A task's id and settings, as `GET /connectors/{name}/tasks` shows them.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TaskInfo {
    /// Id.
    pub id: TaskId,
    /// Settings.
    pub config: Settings,
}

/// The state of a connector itself.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct StateInfo {
    /// State name.
    pub state: &'static str,
    /// Where it runs.
    pub worker_id: String,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

/// The state of one task.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TaskState {
    /// Task number.
    pub id: u32,
    /// State name.
    pub state: &'static str,
    /// Where it runs.
    pub worker_id: String,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

/// `GET /connectors/{name}/status`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ConnectorStatus {
    /// Name.
    pub name: String,
    /// The connector's own state.
    pub connector: StateInfo,
    /// Its tasks' states.
    pub tasks: Vec<TaskState>,
    /// `sink` or `source`.
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// One partition's offset in KIP-875's shape.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq)]
pub struct PartitionOffset {
    /// The partition: for sinks `{"kafka_topic", "kafka_partition"}`, for sources the task's own.
    pub partition: serde_json::Value,
    /// The offset: for sinks `{"kafka_offset"}`, for sources the task's own; null resets.
    pub offset: serde_json::Value,
}

/// `GET /connectors/{name}/offsets`, and the body of `PATCH`.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq)]
pub struct Offsets {
    /// Every partition's offset.
    pub offsets: Vec<PartitionOffset>,
}
