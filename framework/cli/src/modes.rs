//! The two ways to run a worker: `standalone` (connectors from files, like Kafka Connect's
//! connect-standalone) and `worker` (connectors managed over REST). Both serve the REST API
//! and persist connector configs when `config.storage.file.filename` is set; they differ
//! only in whether connector files are applied at start.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use sluice_core::config::Settings;
use sluice_runtime::rest::{self, AppState};
use sluice_runtime::stores::file::{FileConfigStore, FileOffsetStore};
use sluice_runtime::stores::memory::{MemoryConfigStore, MemoryOffsetStore, MemoryStatusStore};
use sluice_runtime::stores::{ConfigStore, OffsetStore};
use sluice_runtime::worker::{Worker, WorkerParts};
use sluice_runtime::worker_config::WorkerConfig;

/// A worker with its REST API, running.
pub struct Running {
    /// The worker.
    pub worker: Worker,
    /// Where the REST API listens.
    pub rest_addr: std::net::SocketAddr,
    rest: tokio::task::JoinHandle<std::io::Result<()>>,
    stop_rest: tokio::sync::oneshot::Sender<()>,
}

impl Running {
    /// Stops every task (committing offsets), then the REST API.
    pub async fn shutdown(self) {
        self.worker.shutdown().await;
        let _ = self.stop_rest.send(());
        let _ = self.rest.await;
    }
}

/// The stores a standalone worker writes connector configs and source offsets to.
type Stores = (Arc<dyn ConfigStore>, Arc<dyn OffsetStore>);

/// Builds the worker's stores from its config.
fn stores(config: &WorkerConfig) -> Result<Stores, String> {
    let configs: Arc<dyn ConfigStore> = match config.config_file() {
        Some(path) => Arc::new(FileConfigStore::open(path).map_err(|e| e.to_string())?),
        None => Arc::new(MemoryConfigStore::default()),
    };
    let offsets: Arc<dyn OffsetStore> = match config.offset_file() {
        Some(path) => Arc::new(FileOffsetStore::open(path).map_err(|e| e.to_string())?),
        None => Arc::new(MemoryOffsetStore::default()),
    };
    Ok((configs, offsets))
}

/// Starts a worker and its REST API; stored connectors start too.
pub async fn start(config: WorkerConfig) -> Result<Running, String> {
    config.check().map_err(|e| e.to_string())?;
    let listen = config.rest_listen().map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("REST listener {listen}: {e}"))?;
    let rest_addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (configs, offsets) = stores(&config)?;
    let worker_id = config.worker_id(rest_addr);
    let cluster_id = cluster_id(&config).await;
    if cluster_id.is_none() {
        let bootstrap = config.bootstrap_servers();
        tracing::warn!(%bootstrap, "no Kafka broker answered within 5 s; starting anyway, \
            and tasks keep retrying until one does");
    }
    let worker = Worker::new(WorkerParts {
        config,
        plugins: crate::plugins::all(),
        configs,
        offsets,
        statuses: Arc::new(MemoryStatusStore::default()),
        worker_id,
    })
    .map_err(|e| e.to_string())?;
    worker.start().await.map_err(|e| e.to_string())?;
    let (stop_rest, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = AppState {
        worker: worker.clone(),
        cluster_id,
    };
    let rest = tokio::spawn(rest::serve(listener, state, async {
        let _ = stopped.await;
    }));
    tracing::info!(rest = %rest_addr, "worker started");
    Ok(Running {
        worker,
        rest_addr,
        rest,
        stop_rest,
    })
}

/// Asks the cluster for its id, giving up quietly after a few seconds.
async fn cluster_id(config: &WorkerConfig) -> Option<String> {
    let mut client = rdkafka::ClientConfig::new();
    client.set("bootstrap.servers", config.bootstrap_servers());
    let consumer: BaseConsumer = client.create().ok()?;
    tokio::task::spawn_blocking(move || consumer.client().fetch_cluster_id(Duration::from_secs(5)))
        .await
        .ok()?
}

/// Reads a connector file: JSON `{"name", "config"}` or flat JSON, or `.properties`.
pub fn read_connector_file(path: &Path) -> Result<(String, Settings), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let is_properties = path.extension().is_some_and(|e| e == "properties");
    let mut settings: Settings = if is_properties {
        java_properties_map(&text).map_err(|e| format!("{}: {e}", path.display()))?
    } else {
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("{}: invalid JSON: {e}", path.display()))?;
        json_settings(&value).map_err(|e| format!("{}: {e}", path.display()))?
    };
    let name = settings
        .get("name")
        .cloned()
        .ok_or_else(|| format!("{}: no \"name\"", path.display()))?;
    settings.insert("name".into(), name.trim().to_owned());
    Ok((name.trim().to_owned(), settings))
}

fn java_properties_map(text: &str) -> Result<Settings, String> {
    let map = java_properties::read(text.as_bytes()).map_err(|e| e.to_string())?;
    Ok(map.into_iter().collect())
}

fn json_settings(value: &serde_json::Value) -> Result<Settings, String> {
    let (name, config) = match value.get("config") {
        Some(config) => (value.get("name").cloned(), config),
        None => (None, value),
    };
    let obj = config.as_object().ok_or("\"config\" must be an object")?;
    let mut settings = Settings::new();
    for (k, v) in obj {
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(_) | serde_json::Value::Bool(_) => v.to_string(),
            other => return Err(format!("\"{k}\" must be a string, not {other}")),
        };
        settings.insert(k.clone(), text);
    }
    if let Some(serde_json::Value::String(n)) = name {
        settings.insert("name".into(), n);
    }
    Ok(settings)
}

/// `sluice standalone`: starts a worker and applies each connector file.
pub async fn standalone(
    worker_file: &Path,
    connector_files: &[PathBuf],
    shutdown: impl Future<Output = ()>,
) -> Result<(), String> {
    let config = WorkerConfig::from_file(worker_file).map_err(|e| e.to_string())?;
    let connectors: Vec<_> = connector_files
        .iter()
        .map(|p| read_connector_file(p))
        .collect::<Result<_, _>>()?;
    let mut names = std::collections::BTreeSet::new();
    if let Some((name, _)) = connectors
        .iter()
        .find(|(name, _)| !names.insert(name.clone()))
    {
        return Err(format!("connector {name} is defined twice"));
    }
    let running = start(config).await?;
    for (name, settings) in connectors {
        if let Err(e) = running.worker.put_config(&name, settings).await {
            running.shutdown().await;
            return Err(format!("connector {name}: {e}"));
        }
        tracing::info!(connector = %name, "connector started");
    }
    shutdown.await;
    tracing::info!("shutting down");
    running.shutdown().await;
    Ok(())
}

/// `sluice worker`: starts a REST-managed worker.
pub async fn worker(worker_file: &Path, shutdown: impl Future<Output = ()>) -> Result<(), String> {
    let config = WorkerConfig::from_file(worker_file).map_err(|e| e.to_string())?;
    let running = start(config).await?;
    shutdown.await;
    tracing::info!("shutting down");
    running.shutdown().await;
    Ok(())
}
