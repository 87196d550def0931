//! The stores behind a worker: connector configs, source offsets and statuses.
//!
//! Standalone workers keep them in memory or in local files. A distributed worker fills
//! the same traits from compacted Kafka topics; nothing above this module knows which.
//! Sink offsets are not here: they are the consumer group's committed offsets in Kafka.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sluice_core::config::Settings;
use sluice_core::Result;

use crate::status::{Status, StatusKey, TargetState};

pub mod file;
pub mod memory;

/// A connector's config and the state the user asked for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredConnector {
    /// The connector's settings, `name` included.
    pub config: Settings,
    /// Running, paused or stopped.
    pub target_state: TargetState,
}

/// Connector configurations.
#[async_trait]
pub trait ConfigStore: Send + Sync {
    /// Every stored connector.
    async fn load(&self) -> Result<BTreeMap<String, StoredConnector>>;
    /// Creates or replaces one connector; an error means nothing was stored.
    async fn put(&self, name: &str, connector: &StoredConnector) -> Result<()>;
    /// Removes one connector.
    async fn remove(&self, name: &str) -> Result<()>;
}

/// A source partition and its offset, both JSON as Kafka Connect stores them.
pub type SourceOffset = (serde_json::Value, serde_json::Value);

/// Source task offsets.
#[async_trait]
pub trait OffsetStore: Send + Sync {
    /// The offsets of one connector.
    async fn get(&self, connector: &str) -> Result<Vec<SourceOffset>>;
    /// Merges offsets of one connector; a null offset removes its partition.
    async fn put(&self, connector: &str, offsets: &[SourceOffset]) -> Result<()>;
    /// Removes every offset of one connector.
    async fn remove(&self, connector: &str) -> Result<()>;
}

/// Connector and task statuses. Writes must be cheap: tasks call them on every state change.
pub trait StatusStore: Send + Sync {
    /// The status of a connector or task.
    fn get(&self, key: &StatusKey) -> Option<Status>;
    /// Sets the status of a connector or task.
    fn put(&self, key: &StatusKey, status: Status);
    /// Forgets a connector and its tasks.
    fn remove(&self, connector: &str);
}
