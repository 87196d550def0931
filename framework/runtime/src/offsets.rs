//! Which offsets a sink task may commit.
//!
//! The invariant: the committed offset of a partition is never past a record that is not
//! yet acknowledged by the sink (or held by a stateful transform). Records are handled in the
//! order the consumer returns them, so per partition the tracker keeps the offset after the
//! last record handled and the offsets still in flight; the committable offset is the
//! oldest in-flight offset, or else the one after the last handled. A filtered record counts
//! as handled at once, so a topic of filtered records still advances (and lag reaches 0).

use std::collections::{BTreeMap, VecDeque};

use sluice_core::TopicPartition;

/// Progress of one partition.
#[derive(Clone, Debug, Default)]
struct Progress {
    /// Offset after the last record handled (filtered, failed and tolerated, or batched).
    next: Option<i64>,
    /// Offsets handed to the sink and not yet acknowledged, in order.
    in_flight: VecDeque<i64>,
    /// The last offset committed.
    committed: Option<i64>,
}

impl Progress {
    fn committable(&self) -> Option<i64> {
        self.in_flight.front().copied().or(self.next)
    }
}

/// Offset progress of every partition a task owns.
#[derive(Clone, Debug, Default)]
pub struct OffsetTracker {
    /// Sorted by partition. A sorted vector, not a tree, so that the partition of the last
    /// call can be kept by position: records come in runs of one partition, and every
    /// record passes through here twice.
    partitions: Vec<(TopicPartition, Progress)>,
    /// Position in `partitions` of the last partition looked up.
    last: usize,
    /// Per partition, the lowest offset a stateful transform still holds.
    held: BTreeMap<TopicPartition, i64>,
}

impl OffsetTracker {
    /// An empty tracker.
    pub fn new() -> Self {
        Self::default()
    }

    /// A record was handled without going to the sink (filtered, or failed and tolerated).
    pub fn handled(&mut self, tp: &TopicPartition, offset: i64) {
        self.update(tp, |p| p.next = Some(offset + 1));
    }

    /// A record was handed to the sink.
    pub fn in_flight(&mut self, tp: &TopicPartition, offset: i64) {
        self.update(tp, |p| {
            p.in_flight.push_back(offset);
            p.next = Some(offset + 1);
        });
    }

    /// Changes the partition's progress, created on first use; the key is cloned only
    /// then, because this runs for every record.
    fn update(&mut self, tp: &TopicPartition, change: impl FnOnce(&mut Progress)) {
        let i = match self.position(tp) {
            Ok(i) => i,
            Err(i) => {
                self.partitions.insert(i, (tp.clone(), Progress::default()));
                i
            }
        };
        self.last = i;
        change(&mut self.partitions[i].1);
    }

    /// Where `tp` is in `partitions`, or where it would go.
    fn position(&self, tp: &TopicPartition) -> std::result::Result<usize, usize> {
        match self.partitions.get(self.last) {
            Some((last, _)) if last.partition == tp.partition && last.topic == tp.topic => {
                Ok(self.last)
            }
            _ => self.partitions.binary_search_by(|(p, _)| p.cmp(tp)),
        }
    }

    fn progress(&self, tp: &TopicPartition) -> Option<&Progress> {
        let i = self.position(tp).ok()?;
        Some(&self.partitions[i].1)
    }

    fn progress_mut(&mut self, tp: &TopicPartition) -> Option<&mut Progress> {
        let i = self.position(tp).ok()?;
        self.last = i;
        Some(&mut self.partitions[i].1)
    }

    /// The sink acknowledged a record (or it was sent to the dead-letter topic).
    pub fn acknowledged(&mut self, tp: &TopicPartition, offset: i64) {
        if let Some(p) = self.progress_mut(tp) {
            // Acknowledgements come in batch order, so the offset is almost always in front.
            if let Some(i) = p.in_flight.iter().position(|o| *o == offset) {
                p.in_flight.remove(i);
            }
        }
    }

    /// Forgets partitions that were revoked.
    pub fn remove(&mut self, tp: &TopicPartition) {
        if let Ok(i) = self.position(tp) {
            self.partitions.remove(i);
        }
        self.held.remove(tp);
    }

    /// Records the lowest offset of `tp` that a stateful transform holds (`None`: nothing).
    pub fn set_held(&mut self, tp: &TopicPartition, offset: Option<i64>) {
        match offset {
            Some(o) => self.held.insert(tp.clone(), o),
            None => self.held.remove(tp),
        };
    }

    /// Offsets that may be committed and differ from the last commit.
    pub fn to_commit(&self) -> Vec<(TopicPartition, i64)> {
        self.partitions
            .iter()
            .filter_map(|(tp, p)| {
                let offset = match (p.committable(), self.held.get(tp).copied()) {
                    (Some(c), Some(h)) => c.min(h),
                    (c, _) => c?,
                };
                (p.committed != Some(offset)).then(|| (tp.clone(), offset))
            })
            .collect()
    }

    /// Notes that offsets were committed.
    pub fn committed(&mut self, offsets: &[(TopicPartition, i64)]) {
        for (tp, offset) in offsets {
            if let Some(p) = self.progress_mut(tp) {
                p.committed = Some(*offset);
            }
        }
    }

    /// The last committed offset of a partition.
    pub fn last_committed(&self, tp: &TopicPartition) -> Option<i64> {
        self.progress(tp).and_then(|p| p.committed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(p: i32) -> TopicPartition {
        TopicPartition {
            topic: "t".into(),
            partition: p,
        }
    }

    #[test]
    fn filtered_records_advance_and_in_flight_ones_hold_back() {
        let mut t = OffsetTracker::new();
        for o in 0..100 {
            t.handled(&tp(0), o);
        }
        assert_eq!(t.to_commit(), vec![(tp(0), 100)]);
        t.committed(&[(tp(0), 100)]);
        assert!(t.to_commit().is_empty(), "nothing new to commit");
        t.in_flight(&tp(0), 100);
        t.in_flight(&tp(0), 101);
        assert_eq!(
            t.to_commit(),
            vec![],
            "100 is the committed offset and stays"
        );
        t.acknowledged(&tp(0), 100);
        assert_eq!(t.to_commit(), vec![(tp(0), 101)]);
        t.acknowledged(&tp(0), 101);
        assert_eq!(t.to_commit(), vec![(tp(0), 102)]);
    }

    #[test]
    fn partitions_stay_apart_when_interleaved_and_removed() {
        let mut t = OffsetTracker::new();
        for o in 0..3 {
            for p in [2, 0, 1] {
                t.in_flight(&tp(p), o * 10 + p as i64);
            }
        }
        t.acknowledged(&tp(1), 1);
        t.remove(&tp(0));
        t.handled(&tp(2), 40);
        t.acknowledged(&tp(2), 2);
        assert_eq!(t.to_commit(), vec![(tp(1), 11), (tp(2), 12)]);
        t.in_flight(&tp(0), 7);
        assert_eq!(t.to_commit(), vec![(tp(0), 7), (tp(1), 11), (tp(2), 12)]);
    }

    #[test]
    fn held_records_bound_the_commit() {
        let mut t = OffsetTracker::new();
        t.handled(&tp(1), 9);
        t.set_held(&tp(1), Some(4));
        assert_eq!(t.to_commit(), vec![(tp(1), 4)]);
    }

    #[test]
    fn filtered_after_in_flight_does_not_jump_ahead() {
        let mut t = OffsetTracker::new();
        t.in_flight(&tp(0), 0);
        t.handled(&tp(0), 1);
        assert_eq!(t.to_commit(), vec![(tp(0), 0)]);
        t.acknowledged(&tp(0), 0);
        assert_eq!(t.to_commit(), vec![(tp(0), 2)]);
    }
}
