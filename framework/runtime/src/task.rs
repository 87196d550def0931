//! What every task runner gets from the worker: who it is, where to report, what the user
//! wants it to do, and how errors are tolerated.

use std::sync::Arc;
use std::time::Duration;

use sluice_core::config::Settings;
use tokio::sync::watch;

use crate::metrics::{Metrics, TaskMetrics};
use crate::status::{StatusCell, TargetState};
use crate::worker_config::WorkerConfig;

/// A task's identity, reporting handles and control channel.
#[derive(Clone)]
pub struct TaskEnv {
    /// Connector name.
    pub connector: String,
    /// Task number.
    pub task: u32,
    /// The task's settings (the connector's, as split by its plugin).
    pub settings: Settings,
    /// The worker's settings.
    pub worker: Arc<WorkerConfig>,
    /// The task's status handle.
    pub status: StatusCell,
    /// The worker's metrics.
    pub metrics: Arc<Metrics>,
    /// This task's metric handles.
    pub task_metrics: TaskMetrics,
    /// What the user wants: running, paused or stopped.
    pub control: watch::Receiver<TargetState>,
    /// How often offsets are committed.
    pub commit_interval: Duration,
}

impl TaskEnv {
    /// The `connector-task` label used in logs.
    pub fn id(&self) -> String {
        format!("{}-{}", self.connector, self.task)
    }

    /// The current target state.
    pub fn target(&self) -> TargetState {
        *self.control.borrow()
    }
}

/// Runs `f` on a new thread that nothing joins; says whether the thread started (if not,
/// `f` is dropped unrun). For releasing Kafka clients, whose destructors wait for the
/// broker: no runtime thread should wait with them, and a process that exits need not.
pub(crate) fn detach(name: &str, f: impl FnOnce() + Send + 'static) -> bool {
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(f)
        .is_ok()
}
