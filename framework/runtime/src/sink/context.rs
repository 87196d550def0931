//! The consumer's callbacks: rebalances and statistics.
//!
//! On revoke, offsets of the revoked partitions are committed synchronously inside the
//! callback, before librdkafka gives the partitions up; records of those partitions that
//! are batched but not yet written are dropped by the task afterwards (their new owner
//! reads them from the committed offset, so nothing is lost and nothing is written twice).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::{ClientContext, Statistics, TopicPartitionList};
use sluice_core::TopicPartition;

use crate::metrics::{Metrics, TaskLabels};
use crate::offsets::OffsetTracker;
use crate::stores::memory::lock;

/// A change of assignment, for the task loop to act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssignmentChange {
    /// Partitions were assigned.
    Assigned(Vec<TopicPartition>),
    /// Partitions were revoked (or lost).
    Revoked(Vec<TopicPartition>),
}

/// State shared between the task loop and the consumer's callbacks.
pub struct SinkContext {
    /// Offsets of the task, committed on revoke.
    pub tracker: Arc<Mutex<OffsetTracker>>,
    /// Assignment changes not yet handled by the loop.
    changes: Mutex<Vec<AssignmentChange>>,
    /// Whether `changes` may hold something: the loop checks after every message, and an
    /// atomic load is far cheaper than taking the lock.
    pending: AtomicBool,
    /// Where lag goes.
    pub metrics: Arc<Metrics>,
    /// The task's labels.
    pub labels: TaskLabels,
}

impl SinkContext {
    /// A context for a task whose offsets are in `tracker`.
    pub fn new(
        tracker: Arc<Mutex<OffsetTracker>>,
        metrics: Arc<Metrics>,
        labels: TaskLabels,
    ) -> Self {
        Self {
            tracker,
            changes: Mutex::new(Vec::new()),
            pending: AtomicBool::new(false),
            metrics,
            labels,
        }
    }

    /// Takes the assignment changes the callbacks made since the last call.
    pub fn take_changes(&self) -> Vec<AssignmentChange> {
        if !self.pending.swap(false, Ordering::Acquire) {
            return Vec::new();
        }
        std::mem::take(&mut *lock(&self.changes))
    }

    fn push_change(&self, change: AssignmentChange) {
        lock(&self.changes).push(change);
        self.pending.store(true, Ordering::Release);
    }
}

fn partitions(tpl: &TopicPartitionList) -> Vec<TopicPartition> {
    tpl.elements()
        .iter()
        .map(|e| TopicPartition {
            topic: Arc::from(e.topic()),
            partition: e.partition(),
        })
        .collect()
}

/// Builds a commit list from tracked offsets.
pub fn commit_list(offsets: &[(TopicPartition, i64)]) -> TopicPartitionList {
    let mut tpl = TopicPartitionList::with_capacity(offsets.len());
    for (tp, offset) in offsets {
        // Adding an offset to a fresh list cannot fail for a non-negative offset.
        let _ = tpl.add_partition_offset(&tp.topic, tp.partition, rdkafka::Offset::Offset(*offset));
    }
    tpl
}

impl ClientContext for SinkContext {
    fn stats(&self, statistics: Statistics) {
        for (topic, t) in &statistics.topics {
            for (partition, p) in &t.partitions {
                if *partition >= 0 && p.desired && p.consumer_lag >= 0 {
                    self.metrics
                        .set_lag(&self.labels, topic, *partition, p.consumer_lag);
                }
            }
        }
    }
}

impl ConsumerContext for SinkContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let Rebalance::Revoke(tpl) = rebalance else {
            return;
        };
        let revoked = partitions(tpl);
        let mut tracker = lock(&self.tracker);
        let offsets: Vec<_> = tracker
            .to_commit()
            .into_iter()
            .filter(|(tp, _)| revoked.contains(tp))
            .collect();
        // Lost partitions (the session expired) already belong to someone else, and
        // with the coordinator unreachable the commit would wait for it in vain.
        if !offsets.is_empty() && !consumer.assignment_lost() {
            match consumer.commit(&commit_list(&offsets), CommitMode::Sync) {
                Ok(()) => tracker.committed(&offsets),
                Err(e) => {
                    let why =
                        "commit on revoke failed; the new owner re-reads from the last commit";
                    tracing::warn!(error = %e, "{why}");
                }
            }
        }
        for tp in &revoked {
            tracker.remove(tp);
        }
        drop(tracker);
        tracing::info!(partitions = revoked.len(), "partitions revoked");
        self.push_change(AssignmentChange::Revoked(revoked));
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(tpl) = rebalance {
            let assigned = partitions(tpl);
            tracing::info!(partitions = assigned.len(), "partitions assigned");
            self.push_change(AssignmentChange::Assigned(assigned));
        }
    }
}
