//! Connector and task states as Kafka Connect reports them.

use std::sync::Arc;

use serde::Serialize;

/// The state of a connector or a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum State {
    /// Not started yet.
    Unassigned,
    /// Working.
    Running,
    /// Paused by the user; its consumer is paused, its resources kept.
    Paused,
    /// Stopped by the user; no tasks run, the config is kept.
    Stopped,
    /// Stopped by an error; the trace says why.
    Failed,
    /// About to start again after a restart request.
    Restarting,
}

impl State {
    /// Kafka Connect's upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Unassigned => "UNASSIGNED",
            State::Running => "RUNNING",
            State::Paused => "PAUSED",
            State::Stopped => "STOPPED",
            State::Failed => "FAILED",
            State::Restarting => "RESTARTING",
        }
    }

    /// Every state, for metrics that show one series per state.
    pub const ALL: [State; 6] = [
        State::Unassigned,
        State::Running,
        State::Paused,
        State::Stopped,
        State::Failed,
        State::Restarting,
    ];
}

/// What the user asked a connector to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TargetState {
    /// Running.
    Started,
    /// Paused.
    Paused,
    /// Stopped.
    Stopped,
}

/// A state with the error that caused it, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// The state.
    pub state: State,
    /// Why it failed.
    pub trace: Option<String>,
}

impl Status {
    /// A status without trace.
    pub fn new(state: State) -> Self {
        Self { state, trace: None }
    }
}

/// Where a connector or task is, in a status store's keys.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StatusKey {
    /// Connector name.
    pub connector: String,
    /// Task number, or `None` for the connector itself.
    pub task: Option<u32>,
}

/// A task's status handle: writes go through to the worker's status store, which is what
/// the REST API reads.
#[derive(Clone)]
pub struct StatusCell {
    store: Arc<dyn crate::stores::StatusStore>,
    key: StatusKey,
}

impl StatusCell {
    /// A handle for one connector or task, set to `state`.
    pub fn new(store: Arc<dyn crate::stores::StatusStore>, key: StatusKey, state: State) -> Self {
        let cell = Self { store, key };
        cell.set(state);
        cell
    }

    /// The current status.
    pub fn get(&self) -> Status {
        self.store
            .get(&self.key)
            .unwrap_or(Status::new(State::Unassigned))
    }

    /// Sets the state and clears the trace.
    pub fn set(&self, state: State) {
        self.store.put(&self.key, Status::new(state));
    }

    /// Marks it failed with a trace.
    pub fn fail(&self, trace: impl Into<String>) {
        self.store.put(
            &self.key,
            Status {
                state: State::Failed,
                trace: Some(trace.into()),
            },
        );
    }
}
