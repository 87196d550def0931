//! The consumer calls that librdkafka does not bound in time.
//!
//! A synchronous offset commit and the close that leaves the group both wait for the group
//! coordinator. With the broker gone a commit waits until the session times out, and a
//! close can wait for as long as the broker stays away (librdkafka issue 3740). So each of
//! them runs on a thread of its own, and the task waits for it only as long as it is
//! allowed to; a call still running after that finishes, or fails, by itself later.

use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::TopicPartitionList;

use super::context::SinkContext;
use crate::task::detach;

/// How a commit ended, as far as the task waited for it.
#[derive(Debug)]
pub(super) enum Commit {
    /// The broker stored the offsets.
    Done,
    /// The broker or librdkafka refused them.
    Failed(KafkaError),
    /// No answer within the time allowed; the commit may still land later.
    TimedOut,
    /// An earlier commit that timed out has not returned yet, so none was started: two
    /// commits in flight could land out of order.
    Busy,
    /// No thread could be started for the commit.
    NoThread,
}

/// A sink task's consumer. Dropping it closes the consumer on a thread of its own, so no
/// runtime thread ever waits for the coordinator.
pub(super) struct TaskConsumer {
    /// `None` once closed. Shared with a commit still running on its thread.
    inner: Option<Arc<StreamConsumer<SinkContext>>>,
    /// Set while a commit runs.
    committing: Arc<AtomicBool>,
}

impl TaskConsumer {
    /// Wraps a consumer just created.
    pub(super) fn new(consumer: StreamConsumer<SinkContext>) -> Self {
        Self {
            inner: Some(Arc::new(consumer)),
            committing: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Commits `list` synchronously, waiting at most `limit` for the answer.
    pub(super) async fn commit(&self, list: TopicPartitionList, limit: Duration) -> Commit {
        let Some(consumer) = self.inner.clone() else {
            return Commit::NoThread;
        };
        if self.committing.swap(true, Ordering::AcqRel) {
            return Commit::Busy;
        }
        let committing = self.committing.clone();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let started = detach("sluice-commit", move || {
            let result = consumer.commit(&list, CommitMode::Sync);
            committing.store(false, Ordering::Release);
            drop(tx.send(result));
        });
        if !started {
            self.committing.store(false, Ordering::Release);
            return Commit::NoThread;
        }
        match tokio::time::timeout(limit, rx).await {
            Ok(Ok(Ok(()))) => Commit::Done,
            Ok(Ok(Err(e))) => Commit::Failed(e),
            // The commit thread ended without an answer only if librdkafka panicked it.
            Ok(Err(_)) => Commit::NoThread,
            Err(_) => Commit::TimedOut,
        }
    }

    /// Closes the consumer, which commits nothing more and leaves the group, waiting at
    /// most `limit`. Says whether the close finished in time; if not, the group hands the
    /// partitions to other members once this member's session expires.
    pub(super) async fn close(mut self, limit: Duration) -> bool {
        let Some(consumer) = self.inner.take() else {
            return true;
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        // If no thread can be started the closure is dropped here, closing inline.
        detach("sluice-close", move || {
            drop(consumer);
            let _ = tx.send(());
        });
        matches!(tokio::time::timeout(limit, rx).await, Ok(Ok(())))
    }
}

impl Deref for TaskConsumer {
    type Target = StreamConsumer<SinkContext>;

    fn deref(&self) -> &Self::Target {
        // Only `close` takes the consumer, and it consumes the handle.
        self.inner
            .as_deref()
            .expect("a task consumer is open until closed")
    }
}

impl Drop for TaskConsumer {
    fn drop(&mut self) {
        if let Some(consumer) = self.inner.take() {
            detach("sluice-close", move || drop(consumer));
        }
    }
}
