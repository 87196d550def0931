//! In-memory stores, for tests and for workers that need no persistence.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use sluice_core::Result;

use super::{ConfigStore, OffsetStore, SourceOffset, StatusStore, StoredConnector};
use crate::status::{Status, StatusKey};

/// Connector configs in memory.
#[derive(Default)]
pub struct MemoryConfigStore {
    map: Mutex<BTreeMap<String, StoredConnector>>,
}

#[async_trait]
impl ConfigStore for MemoryConfigStore {
    async fn load(&self) -> Result<BTreeMap<String, StoredConnector>> {
        Ok(lock(&self.map).clone())
    }

    async fn put(&self, name: &str, connector: &StoredConnector) -> Result<()> {
        lock(&self.map).insert(name.to_owned(), connector.clone());
        Ok(())
    }

    async fn remove(&self, name: &str) -> Result<()> {
        lock(&self.map).remove(name);
        Ok(())
    }
}

/// Source offsets in memory.
#[derive(Default)]
pub struct MemoryOffsetStore {
    map: Mutex<BTreeMap<String, Vec<SourceOffset>>>,
}

/// Merges `updates` into `offsets`: same partition replaces, null offset removes.
pub(crate) fn merge_offsets(offsets: &mut Vec<SourceOffset>, updates: &[SourceOffset]) {
    for (partition, offset) in updates {
        offsets.retain(|(p, _)| p != partition);
        if !offset.is_null() {
            offsets.push((partition.clone(), offset.clone()));
        }
    }
}

#[async_trait]
impl OffsetStore for MemoryOffsetStore {
    async fn get(&self, connector: &str) -> Result<Vec<SourceOffset>> {
        Ok(lock(&self.map).get(connector).cloned().unwrap_or_default())
    }

    async fn put(&self, connector: &str, offsets: &[SourceOffset]) -> Result<()> {
        merge_offsets(
            lock(&self.map).entry(connector.to_owned()).or_default(),
            offsets,
        );
        Ok(())
    }

    async fn remove(&self, connector: &str) -> Result<()> {
        lock(&self.map).remove(connector);
        Ok(())
    }
}

/// Statuses in memory.
#[derive(Default)]
pub struct MemoryStatusStore {
    map: Mutex<HashMap<StatusKey, Status>>,
}

impl StatusStore for MemoryStatusStore {
    fn get(&self, key: &StatusKey) -> Option<Status> {
        lock(&self.map).get(key).cloned()
    }

    fn put(&self, key: &StatusKey, status: Status) {
        lock(&self.map).insert(key.clone(), status);
    }

    fn remove(&self, connector: &str) {
        lock(&self.map).retain(|k, _| k.connector != connector);
    }
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
