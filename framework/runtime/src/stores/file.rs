//! Stores in local JSON files, for standalone workers.
//!
//! Each change rewrites the whole file through a temporary file and a rename, so a crash
//! leaves either the old or the new content, never half of it. The files are small: one
//! entry per connector or source partition.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use async_trait::async_trait;
use serde::{de::DeserializeOwned, Serialize};
use sluice_core::{Error, Result};

use super::memory::{lock, merge_offsets};
use super::{ConfigStore, OffsetStore, SourceOffset, StoredConnector};

fn read_json<T: DeserializeOwned + Default>(path: &Path) -> Result<T> {
    match std::fs::read(path) {
        Ok(bytes) if bytes.is_empty() => Ok(T::default()),
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            Error::config(format!("{}: not a Sluice store file: {e}", path.display()))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(e) => Err(Error::fatal(format!("{}: {e}", path.display()))),
    }
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| Error::fatal(e.to_string()))?;
    let tmp = path.with_extension("tmp");
    let write = || -> std::io::Result<()> {
        std::fs::write(&tmp, &bytes)?;
        std::fs::File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| Error::transient(format!("cannot write {}: {e}", path.display())))
}

/// Connector configs in a JSON file.
pub struct FileConfigStore {
    path: PathBuf,
    map: Mutex<BTreeMap<String, StoredConnector>>,
}

impl FileConfigStore {
    /// Opens (or starts) the store at `path`.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let map = read_json(&path)?;
        Ok(Self {
            path,
            map: Mutex::new(map),
        })
    }

    /// Applies `change` to a copy, writes it, and keeps it only if the write succeeded.
    fn update(&self, change: impl FnOnce(&mut BTreeMap<String, StoredConnector>)) -> Result<()> {
        let mut map = lock(&self.map);
        let mut next = map.clone();
        change(&mut next);
        write_json(&self.path, &next)?;
        *map = next;
        Ok(())
    }
}

#[async_trait]
impl ConfigStore for FileConfigStore {
    async fn load(&self) -> Result<BTreeMap<String, StoredConnector>> {
        Ok(lock(&self.map).clone())
    }

    async fn put(&self, name: &str, connector: &StoredConnector) -> Result<()> {
        self.update(|m| {
            m.insert(name.to_owned(), connector.clone());
        })
    }

    async fn remove(&self, name: &str) -> Result<()> {
        self.update(|m| {
            m.remove(name);
        })
    }
}

/// One stored source offset, as written to the file.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct OffsetEntry {
    partition: serde_json::Value,
    offset: serde_json::Value,
}

/// Source offsets in a JSON file (Kafka Connect's `offset.storage.file.filename`).
pub struct FileOffsetStore {
    path: PathBuf,
    map: Mutex<BTreeMap<String, Vec<OffsetEntry>>>,
}

impl FileOffsetStore {
    /// Opens (or starts) the store at `path`.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let map = read_json(&path)?;
        Ok(Self {
            path,
            map: Mutex::new(map),
        })
    }

    fn update(&self, connector: &str, change: impl FnOnce(&mut Vec<SourceOffset>)) -> Result<()> {
        let mut map = lock(&self.map);
        let mut offsets: Vec<SourceOffset> = map
            .get(connector)
            .map(|v| {
                v.iter()
                    .map(|e| (e.partition.clone(), e.offset.clone()))
                    .collect()
            })
            .unwrap_or_default();
        change(&mut offsets);
        let mut next = map.clone();
        let entries = offsets
            .into_iter()
            .map(|(partition, offset)| OffsetEntry { partition, offset });
        next.insert(connector.to_owned(), entries.collect());
        next.retain(|_, v| !v.is_empty());
        write_json(&self.path, &next)?;
        *map = next;
        Ok(())
    }
}

#[async_trait]
impl OffsetStore for FileOffsetStore {
    async fn get(&self, connector: &str) -> Result<Vec<SourceOffset>> {
        let map = lock(&self.map);
        let entries = map.get(connector).map(Vec::as_slice).unwrap_or_default();
        Ok(entries
            .iter()
            .map(|e| (e.partition.clone(), e.offset.clone()))
            .collect())
    }

    async fn put(&self, connector: &str, offsets: &[SourceOffset]) -> Result<()> {
        self.update(connector, |current| merge_offsets(current, offsets))
    }

    async fn remove(&self, connector: &str) -> Result<()> {
        self.update(connector, Vec::clear)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::TargetState;
    use serde_json::json;

    #[tokio::test]
    async fn configs_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("configs.json");
        let store = FileConfigStore::open(&path).unwrap();
        let mut config = sluice_core::config::Settings::new();
        config.insert("name".into(), "a".into());
        let stored = StoredConnector {
            config,
            target_state: TargetState::Paused,
        };
        store.put("a", &stored).await.unwrap();
        let again = FileConfigStore::open(&path).unwrap();
        assert_eq!(again.load().await.unwrap().get("a"), Some(&stored));
    }

    #[tokio::test]
    async fn a_failed_write_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gone").join("configs.json");
        let store = FileConfigStore::open(&path).unwrap();
        let stored = StoredConnector {
            config: Default::default(),
            target_state: TargetState::Started,
        };
        let err = store.put("a", &stored).await.unwrap_err();
        assert!(err.message.contains("cannot write"), "{}", err.message);
        assert!(store.load().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn offsets_merge_and_reset() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileOffsetStore::open(dir.path().join("offsets.json")).unwrap();
        let p = json!({"filename": "/x"});
        store
            .put("c", &[(p.clone(), json!({"position": 4}))])
            .await
            .unwrap();
        store
            .put("c", &[(p.clone(), json!({"position": 8}))])
            .await
            .unwrap();
        assert_eq!(
            store.get("c").await.unwrap(),
            vec![(p.clone(), json!({"position": 8}))]
        );
        store.remove("c").await.unwrap();
        assert!(store.get("c").await.unwrap().is_empty());
    }
}
