//! The worker: supervises connectors and their tasks, and answers what the REST API asks.
//!
//! Every change goes to the config store first; only a stored change takes effect, so a
//! failed store write leaves the worker as it was. Each task runs on its own tokio task and
//! learns what the user wants (running, paused, stopped) through a watch channel.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use sluice_core::config::Settings;
use sluice_core::connector::{ConnectorKind, ConnectorPlugin};
use sluice_core::plugins::{Plugins, Validation};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::metrics::Metrics;
use crate::sink::SinkRunner;
use crate::source::SourceRunner;
use crate::status::{State, StatusCell, StatusKey, TargetState};
use crate::stores::{ConfigStore, OffsetStore, StatusStore, StoredConnector};
use crate::task::TaskEnv;
use crate::worker_config::WorkerConfig;

pub mod model;
pub mod offsets;

use model::{ConnectorInfo, ConnectorStatus, StateInfo, TaskId, TaskInfo, TaskState};

/// Why a worker operation was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorkerError {
    /// No connector (or task) by that name.
    NotFound(String),
    /// A connector by that name exists already.
    AlreadyExists(String),
    /// The request or config is wrong; the message says what.
    BadRequest(String),
    /// The request conflicts with the connector's state.
    Conflict(String),
    /// A store or Kafka call failed.
    Internal(String),
}

impl std::fmt::Display for WorkerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WorkerError::NotFound(m)
            | WorkerError::AlreadyExists(m)
            | WorkerError::BadRequest(m)
            | WorkerError::Conflict(m)
            | WorkerError::Internal(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for WorkerError {}

impl WorkerError {
    fn not_found(name: &str) -> Self {
        WorkerError::NotFound(format!("Connector {name} not found"))
    }
}

/// Result of worker operations.
pub type WorkerResult<T> = std::result::Result<T, WorkerError>;

/// A task running on this worker.
struct RunningTask {
    control: watch::Sender<TargetState>,
    join: JoinHandle<()>,
    status: StatusCell,
}

/// A connector on this worker.
struct Connector {
    config: Settings,
    kind: ConnectorKind,
    target: TargetState,
    task_configs: Vec<Settings>,
    tasks: Vec<Option<RunningTask>>,
    status: StatusCell,
    active_topics: Arc<Mutex<BTreeSet<String>>>,
}

/// What a worker is built from.
pub struct WorkerParts {
    /// The worker's settings.
    pub config: WorkerConfig,
    /// Every plugin.
    pub plugins: Plugins,
    /// Where connector configs live.
    pub configs: Arc<dyn ConfigStore>,
    /// Where source offsets live.
    pub offsets: Arc<dyn OffsetStore>,
    /// Where statuses live.
    pub statuses: Arc<dyn StatusStore>,
    /// This worker's id, `host:port`.
    pub worker_id: String,
}

struct Inner {
    config: Arc<WorkerConfig>,
    plugins: Plugins,
    configs: Arc<dyn ConfigStore>,
    offsets: Arc<dyn OffsetStore>,
    statuses: Arc<dyn StatusStore>,
    metrics: Arc<Metrics>,
    worker_id: String,
    commit_interval: Duration,
    connectors: tokio::sync::Mutex<BTreeMap<String, Connector>>,
}

/// A worker; cheap to clone.
#[derive(Clone)]
pub struct Worker {
    inner: Arc<Inner>,
}

impl Worker {
    /// Builds a worker; nothing runs until [`Worker::start`].
    pub fn new(parts: WorkerParts) -> sluice_core::Result<Self> {
        let commit_interval = parts.config.offset_flush_interval()?;
        Ok(Self {
            inner: Arc::new(Inner {
                config: Arc::new(parts.config),
                plugins: parts.plugins,
                configs: parts.configs,
                offsets: parts.offsets,
                statuses: parts.statuses,
                metrics: Arc::new(Metrics::new()),
                worker_id: parts.worker_id,
                commit_interval,
                connectors: tokio::sync::Mutex::new(BTreeMap::new()),
            }),
        })
    }

    /// The worker's metrics.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.inner.metrics
    }

    /// The Prometheus text of every metric, with task states brought up to date first.
    pub async fn render_metrics(&self) -> String {
        let connectors = self.inner.connectors.lock().await;
        for (name, c) in connectors.iter() {
            for id in 0..c.tasks.len() as u32 {
                self.inner
                    .metrics
                    .set_state(name, id, task_state(c, id).state);
            }
        }
        drop(connectors);
        self.inner.metrics.render()
    }

    /// The worker's settings.
    pub fn config(&self) -> &WorkerConfig {
        &self.inner.config
    }

    /// The plugins this worker knows.
    pub fn plugins(&self) -> &Plugins {
        &self.inner.plugins
    }

    /// This worker's id.
    pub fn worker_id(&self) -> &str {
        &self.inner.worker_id
    }

    /// Starts every stored connector in its stored target state.
    pub async fn start(&self) -> WorkerResult<()> {
        let stored = self
            .inner
            .configs
            .load()
            .await
            .map_err(|e| WorkerError::Internal(e.to_string()))?;
        let mut connectors = self.inner.connectors.lock().await;
        for (name, c) in stored {
            let target = c.target_state;
            tracing::info!(connector = %name, ?target, "starting stored connector");
            let connector = self.launch(&name, c.config, c.target_state);
            connectors.insert(name, connector);
        }
        Ok(())
    }

    /// Stops every task, committing their offsets.
    pub async fn shutdown(&self) {
        let mut connectors = self.inner.connectors.lock().await;
        let timeout = self
            .inner
            .config
            .shutdown_timeout()
            .unwrap_or(Duration::from_secs(10));
        for (name, c) in connectors.iter_mut() {
            tracing::info!(connector = %name, "stopping connector");
            stop_tasks(c, timeout).await;
        }
    }

    /// Validates a connector config without I/O.
    pub fn validate(&self, config: &Settings) -> Validation {
        let mut validation = self.inner.plugins.validate(config);
        for (key, message) in crate::kafka::check_overrides(config) {
            validation.add_error(&key, message);
        }
        validation
    }

    /// Names of every connector.
    pub async fn names(&self) -> Vec<String> {
        self.inner.connectors.lock().await.keys().cloned().collect()
    }

    /// Creates a connector in the given state (KIP-980's `initial_state`); fails if it exists.
    pub async fn create(
        &self,
        name: &str,
        config: Settings,
        initial: TargetState,
    ) -> WorkerResult<ConnectorInfo> {
        let config = self.checked(name, config)?;
        let mut connectors = self.inner.connectors.lock().await;
        if connectors.contains_key(name) {
            return Err(WorkerError::AlreadyExists(format!(
                "Connector {name} already exists"
            )));
        }
        self.store(name, &config, initial).await?;
        let connector = self.launch(name, config, initial);
        let info = info(name, &connector);
        connectors.insert(name.to_owned(), connector);
        Ok(info)
    }

    /// Creates or replaces a connector's config; `true` when it was created.
    pub async fn put_config(
        &self,
        name: &str,
        config: Settings,
    ) -> WorkerResult<(bool, ConnectorInfo)> {
        let config = self.checked(name, config)?;
        let mut connectors = self.inner.connectors.lock().await;
        let target = connectors
            .get(name)
            .map_or(TargetState::Started, |c| c.target);
        self.store(name, &config, target).await?;
        let created = match connectors.remove(name) {
            Some(mut old) => {
                stop_tasks(&mut old, self.shutdown_timeout()).await;
                false
            }
            None => true,
        };
        let connector = self.launch(name, config, target);
        let info = info(name, &connector);
        connectors.insert(name.to_owned(), connector);
        Ok((created, info))
    }

    /// Merges a patch into a connector's config; a null value removes a key.
    pub async fn patch_config(
        &self,
        name: &str,
        patch: BTreeMap<String, Option<String>>,
    ) -> WorkerResult<ConnectorInfo> {
        let mut config = self.config_of(name).await?;
        for (k, v) in patch {
            match v {
                Some(v) => config.insert(k, v),
                None => config.remove(&k),
            };
        }
        self.put_config(name, config).await.map(|(_, info)| info)
    }

    /// Deletes a connector; its offsets are kept, as Kafka Connect does.
    pub async fn delete(&self, name: &str) -> WorkerResult<()> {
        let mut connectors = self.inner.connectors.lock().await;
        if !connectors.contains_key(name) {
            return Err(WorkerError::not_found(name));
        }
        self.inner
            .configs
            .remove(name)
            .await
            .map_err(|e| WorkerError::Internal(e.to_string()))?;
        if let Some(mut c) = connectors.remove(name) {
            stop_tasks(&mut c, self.shutdown_timeout()).await;
            self.inner.metrics.forget(name, c.task_configs.len() as u32);
        }
        self.inner.statuses.remove(name);
        Ok(())
    }

    /// Sets a connector's target state (pause, resume, stop).
    pub async fn set_target(&self, name: &str, target: TargetState) -> WorkerResult<()> {
        let mut connectors = self.inner.connectors.lock().await;
        let c = connectors
            .get_mut(name)
            .ok_or_else(|| WorkerError::not_found(name))?;
        if c.target == target {
            return Ok(());
        }
        self.store(name, &c.config, target).await?;
        let was_stopped = c.target == TargetState::Stopped;
        c.target = target;
        match target {
            TargetState::Stopped => {
                stop_tasks(c, self.shutdown_timeout()).await;
                c.status.set(State::Stopped);
            }
            _ if was_stopped => {
                let fresh = self.launch(name, c.config.clone(), target);
                *c = fresh;
            }
            _ => {
                for t in c.tasks.iter().flatten() {
                    let _ = t.control.send(target);
                }
                c.status.set(if target == TargetState::Paused {
                    State::Paused
                } else {
                    State::Running
                });
            }
        }
        Ok(())
    }

    /// Restarts a connector and, with `include_tasks`, its tasks (only failed ones with
    /// `only_failed`). Returns the status as it is right after the restart began, with the
    /// restarted parts shown as RESTARTING.
    pub async fn restart(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> WorkerResult<ConnectorStatus> {
        let mut connectors = self.inner.connectors.lock().await;
        let c = connectors
            .get_mut(name)
            .ok_or_else(|| WorkerError::not_found(name))?;
        let restart_connector = !only_failed || c.status.get().state == State::Failed;
        let to_restart: Vec<u32> = (0..c.tasks.len() as u32)
            .filter(|id| {
                include_tasks && (!only_failed || task_state(c, *id).state == State::Failed)
            })
            .collect();
        let mut reported = self.status_of(name, c);
        if restart_connector {
            reported.connector.state = State::Restarting.as_str();
            reported.connector.trace = None;
            // A connector fails only for want of its plugin; restarted, it fails again.
            match self.plugin_of(&c.config) {
                Some(_) => c.status.set(connector_state(c.target)),
                None => c.status.fail(NO_PLUGIN),
            }
        }
        for id in &to_restart {
            if let Some(t) = reported.tasks.iter_mut().find(|t| t.id == *id) {
                t.state = State::Restarting.as_str();
                t.trace = None;
            }
        }
        for id in to_restart {
            self.restart_task_locked(name, c, id).await;
        }
        Ok(reported)
    }

    /// Restarts one task.
    pub async fn restart_task(&self, name: &str, id: u32) -> WorkerResult<()> {
        let mut connectors = self.inner.connectors.lock().await;
        let c = connectors
            .get_mut(name)
            .ok_or_else(|| WorkerError::not_found(name))?;
        if id >= published_tasks(c) {
            return Err(WorkerError::NotFound(format!("Task {name}-{id} not found")));
        }
        self.restart_task_locked(name, c, id).await;
        Ok(())
    }

    async fn restart_task_locked(&self, name: &str, c: &mut Connector, id: u32) {
        let timeout = self.shutdown_timeout();
        if let Some(t) = c.tasks[id as usize].take() {
            stop_task(t, timeout).await;
        }
        if c.target != TargetState::Stopped {
            c.tasks[id as usize] = Some(self.spawn_task(name, c, id));
        }
    }

    /// A connector's definition.
    pub async fn info(&self, name: &str) -> WorkerResult<ConnectorInfo> {
        let connectors = self.inner.connectors.lock().await;
        let c = connectors
            .get(name)
            .ok_or_else(|| WorkerError::not_found(name))?;
        Ok(info(name, c))
    }

    /// A connector's settings.
    pub async fn config_of(&self, name: &str) -> WorkerResult<Settings> {
        let connectors = self.inner.connectors.lock().await;
        connectors
            .get(name)
            .map(|c| c.config.clone())
            .ok_or_else(|| WorkerError::not_found(name))
    }

    /// A connector's tasks and their settings.
    pub async fn tasks(&self, name: &str) -> WorkerResult<Vec<TaskInfo>> {
        let connectors = self.inner.connectors.lock().await;
        let c = connectors
            .get(name)
            .ok_or_else(|| WorkerError::not_found(name))?;
        Ok((0..published_tasks(c))
            .map(|task| TaskInfo {
                id: TaskId {
                    connector: name.to_owned(),
                    task,
                },
                config: c.task_configs[task as usize].clone(),
            })
            .collect())
    }

    /// A connector's status.
    pub async fn status(&self, name: &str) -> WorkerResult<ConnectorStatus> {
        let connectors = self.inner.connectors.lock().await;
        let c = connectors
            .get(name)
            .ok_or_else(|| WorkerError::not_found(name))?;
        Ok(self.status_of(name, c))
    }

    /// One task's status.
    pub async fn task_status(&self, name: &str, id: u32) -> WorkerResult<TaskState> {
        let status = self.status(name).await?;
        status
            .tasks
            .into_iter()
            .find(|t| t.id == id)
            .ok_or_else(|| WorkerError::NotFound(format!("Task {name}-{id} not found")))
    }

    /// Topics a sink connector has read since it was created or its topics were reset.
    pub async fn active_topics(&self, name: &str) -> WorkerResult<Vec<String>> {
        let connectors = self.inner.connectors.lock().await;
        let c = connectors
            .get(name)
            .ok_or_else(|| WorkerError::not_found(name))?;
        let topics = crate::stores::memory::lock(&c.active_topics)
            .iter()
            .cloned()
            .collect();
        Ok(topics)
    }

    /// Clears a connector's active topics.
    pub async fn reset_active_topics(&self, name: &str) -> WorkerResult<()> {
        let connectors = self.inner.connectors.lock().await;
        let c = connectors
            .get(name)
            .ok_or_else(|| WorkerError::not_found(name))?;
        crate::stores::memory::lock(&c.active_topics).clear();
        Ok(())
    }

    fn shutdown_timeout(&self) -> Duration {
        self.inner
            .config
            .shutdown_timeout()
            .unwrap_or(Duration::from_secs(10))
    }

    /// Applies the name rules and validation; returns the config with `name` set.
    fn checked(&self, name: &str, mut config: Settings) -> WorkerResult<Settings> {
        check_name(name)?;
        if let Some(inner) = config.get("name") {
            if inner.trim() != name.trim() {
                let inner = inner.trim();
                return Err(WorkerError::BadRequest(format!(
                    "Connector name configuration ({inner}) doesn't match connector name in the \
                     URL ({name})"
                )));
            }
        }
        config.insert("name".into(), name.to_owned());
        let validation = self.validate(&config);
        if validation.error_count() > 0 {
            let errors = validation.errors();
            return Err(WorkerError::BadRequest(format!(
                "Connector configuration is invalid and contains the following {} error(s):\n{}\n\
                 You can also find the above list of errors at the endpoint \
                 `/connector-plugins/{{connectorType}}/config/validate`",
                errors.len(),
                errors.join("\n")
            )));
        }
        Ok(config)
    }

    async fn store(&self, name: &str, config: &Settings, target: TargetState) -> WorkerResult<()> {
        let stored = StoredConnector {
            config: config.clone(),
            target_state: target,
        };
        self.inner.configs.put(name, &stored).await.map_err(|e| {
            tracing::error!(connector = %name, error = %e, "config store write failed");
            WorkerError::Internal(format!(
                "Failed to write connector configuration: {}",
                e.message
            ))
        })
    }

    /// Builds the connector's task configs and starts its tasks, unless stopped.
    /// The plugin `connector.class` names, if any.
    fn plugin_of(&self, config: &Settings) -> Option<Arc<dyn ConnectorPlugin>> {
        config
            .get("connector.class")
            .and_then(|c| self.inner.plugins.connector(c))
            .cloned()
    }

    fn launch(&self, name: &str, config: Settings, target: TargetState) -> Connector {
        let key = StatusKey {
            connector: name.to_owned(),
            task: None,
        };
        let status = StatusCell::new(self.inner.statuses.clone(), key, connector_state(target));
        let plugin = self.plugin_of(&config);
        let kind = plugin.as_ref().map_or(ConnectorKind::Sink, |p| p.kind());
        let mut c = Connector {
            task_configs: Vec::new(),
            tasks: Vec::new(),
            kind,
            target,
            status,
            active_topics: Arc::new(Mutex::new(BTreeSet::new())),
            config,
        };
        let Some(plugin) = plugin else {
            c.status.fail(NO_PLUGIN);
            return c;
        };
        let max = c
            .config
            .get("tasks.max")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(1);
        c.task_configs = plugin.task_configs(&c.config, max);
        c.tasks = (0..c.task_configs.len()).map(|_| None).collect();
        if target != TargetState::Stopped {
            for id in 0..c.task_configs.len() as u32 {
                c.tasks[id as usize] = Some(self.spawn_task(name, &c, id));
            }
        }
        c
    }

    fn spawn_task(&self, name: &str, c: &Connector, id: u32) -> RunningTask {
        let (control, rx) = watch::channel(c.target);
        let key = StatusKey {
            connector: name.to_owned(),
            task: Some(id),
        };
        let status = StatusCell::new(self.inner.statuses.clone(), key, State::Unassigned);
        let env = TaskEnv {
            connector: name.to_owned(),
            task: id,
            settings: c.task_configs[id as usize].clone(),
            worker: self.inner.config.clone(),
            status: status.clone(),
            metrics: self.inner.metrics.clone(),
            task_metrics: self.inner.metrics.task(name, id),
            control: rx,
            commit_interval: self.inner.commit_interval,
        };
        let plugin = c
            .config
            .get("connector.class")
            .and_then(|cl| self.inner.plugins.connector(cl))
            .cloned();
        // Every log line of the task carries its connector and task number through this span.
        let span = tracing::info_span!("task", connector = %name, task = id);
        let run = run_task(
            env,
            plugin,
            self.inner.plugins.clone(),
            self.inner.offsets.clone(),
            c.active_topics.clone(),
        );
        let join = tokio::spawn(tracing::Instrument::instrument(run, span));
        RunningTask {
            control,
            join,
            status,
        }
    }

    fn status_of(&self, name: &str, c: &Connector) -> ConnectorStatus {
        let connector = c.status.get();
        let tasks = (0..c.tasks.len() as u32)
            .filter(|_| c.target != TargetState::Stopped)
            .map(|id| {
                let s = task_state(c, id);
                TaskState {
                    id,
                    state: s.state.as_str(),
                    worker_id: self.inner.worker_id.clone(),
                    trace: s.trace,
                }
            })
            .collect();
        ConnectorStatus {
            name: name.to_owned(),
            connector: StateInfo {
                state: connector.state.as_str(),
                worker_id: self.inner.worker_id.clone(),
                trace: connector.trace,
            },
            tasks,
            kind: c.kind.as_str(),
        }
    }

    pub(crate) fn inner_offsets(&self) -> &Arc<dyn OffsetStore> {
        &self.inner.offsets
    }

    /// A connector's kind, target state and settings, for offset operations.
    pub(crate) async fn offsets_target(
        &self,
        name: &str,
    ) -> WorkerResult<(ConnectorKind, TargetState, Settings)> {
        let connectors = self.inner.connectors.lock().await;
        let c = connectors
            .get(name)
            .ok_or_else(|| WorkerError::not_found(name))?;
        Ok((c.kind, c.target, c.config.clone()))
    }
}

/// The longest connector name, in bytes. The name goes into the consumer group id (which
/// Kafka caps at 32,767 bytes), client ids and every REST path of the connector (many HTTP
/// servers and proxies refuse request lines over 8 KiB).
const MAX_NAME_BYTES: usize = 1024;

/// Kafka Connect's rule for names, plus: no `/`, which could never be addressed again, and
/// no more than [`MAX_NAME_BYTES`].
fn check_name(name: &str) -> WorkerResult<()> {
    if name.len() > MAX_NAME_BYTES {
        return Err(WorkerError::BadRequest(format!(
            "Connector name is {} bytes long; at most {MAX_NAME_BYTES} are allowed",
            name.len()
        )));
    }
    if name.trim().is_empty() {
        return Err(WorkerError::BadRequest(
            "Connector name must not be empty".into(),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(WorkerError::BadRequest(format!(
            "Connector name {name:?} must not contain control characters"
        )));
    }
    if name.contains('/') {
        return Err(WorkerError::BadRequest(format!(
            "Connector name {name:?} must not contain '/'"
        )));
    }
    Ok(())
}

fn connector_state(target: TargetState) -> State {
    match target {
        TargetState::Started => State::Running,
        TargetState::Paused => State::Paused,
        TargetState::Stopped => State::Stopped,
    }
}

fn task_state(c: &Connector, id: u32) -> crate::status::Status {
    match &c.tasks[id as usize] {
        Some(t) => t.status.get(),
        None => crate::status::Status::new(State::Unassigned),
    }
}

/// Why a connector whose stored config names an unknown class is FAILED.
const NO_PLUGIN: &str = "connector.class names no known plugin";

/// How many tasks a connector shows. A stopped connector shows none, as Kafka Connect
/// erases a stopped connector's task configs; they are made again when it resumes.
fn published_tasks(c: &Connector) -> u32 {
    match c.target {
        TargetState::Stopped => 0,
        _ => c.task_configs.len() as u32,
    }
}

fn info(name: &str, c: &Connector) -> ConnectorInfo {
    ConnectorInfo {
        name: name.to_owned(),
        config: c.config.clone(),
        tasks: (0..published_tasks(c))
            .map(|task| TaskId {
                connector: name.to_owned(),
                task,
            })
            .collect(),
        kind: c.kind.as_str(),
    }
}

async fn stop_tasks(c: &mut Connector, timeout: Duration) {
    let tasks: Vec<RunningTask> = c.tasks.iter_mut().filter_map(Option::take).collect();
    for t in &tasks {
        let _ = t.control.send(TargetState::Stopped);
    }
    for t in tasks {
        stop_task(t, timeout).await;
    }
}

async fn stop_task(t: RunningTask, timeout: Duration) {
    let _ = t.control.send(TargetState::Stopped);
    let abort = t.join.abort_handle();
    if tokio::time::timeout(timeout, t.join).await.is_err() {
        tracing::warn!(?timeout, "task did not stop in time; aborting it");
        abort.abort();
    }
    if t.status.get().state != State::Failed {
        t.status.set(State::Unassigned);
    }
}

async fn run_task(
    env: TaskEnv,
    plugin: Option<Arc<dyn ConnectorPlugin>>,
    plugins: Plugins,
    offsets: Arc<dyn OffsetStore>,
    active_topics: Arc<Mutex<BTreeSet<String>>>,
) {
    let Some(plugin) = plugin else {
        env.status.fail(NO_PLUGIN);
        return;
    };
    let failed = env.status.clone();
    let status = env.status.clone();
    let work = async move {
        match plugin.kind() {
            ConnectorKind::Sink => {
                match SinkRunner::new(env, plugin.as_ref(), &plugins, active_topics) {
                    Ok(runner) => runner.run().await,
                    Err(e) => status.fail(e.to_string()),
                }
            }
            ConnectorKind::Source => match SourceRunner::new(env, plugin.as_ref(), offsets) {
                Ok(runner) => runner.run().await,
                Err(e) => status.fail(e.to_string()),
            },
        }
    };
    // A bug in a connector must show as a failed task with a trace, not a task that looks
    // alive and does nothing.
    if let Err(panic) = std::panic::AssertUnwindSafe(work).catch_unwind().await {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        tracing::error!(panic = %what, "task panicked");
        failed.fail(format!("fatal error: task panicked: {what}"));
    }
}
