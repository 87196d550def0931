//! Which partitions a sink task owns, and since when.
//!
//! Every assignment change starts a new epoch, and each chunk of records carries the epoch
//! it was read in. A record is the task's to handle only if its partition is assigned and
//! was assigned in that epoch or before. A record read before a revoke and decoded after
//! its partition came back (revoked, then assigned again, while the chunk was on a decode
//! thread) is stale: the new assignment reads it again from the committed offset, and
//! taking the old copy too would write it twice.

use sluice_core::TopicPartition;

use super::FastMap;

/// The partitions a task owns, each with the epoch it was (re)assigned in.
#[derive(Default)]
pub(super) struct Ownership {
    assigned: FastMap<TopicPartition, u64>,
    /// Counts assignment changes.
    epoch: u64,
    /// The last partition looked up, with its epoch. Records come in runs of one
    /// partition, so this answers most lookups; any change clears it.
    last: Option<(TopicPartition, u64)>,
}

impl Ownership {
    /// The current epoch: records read now carry it.
    pub(super) fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Partitions were assigned.
    pub(super) fn assign(&mut self, tps: &[TopicPartition]) {
        self.change();
        let epoch = self.epoch;
        self.assigned
            .extend(tps.iter().map(|tp| (tp.clone(), epoch)));
    }

    /// Partitions were revoked or lost.
    pub(super) fn revoke(&mut self, tps: &[TopicPartition]) {
        self.change();
        for tp in tps {
            self.assigned.remove(tp);
        }
    }

    fn change(&mut self) {
        self.epoch += 1;
        self.last = None;
    }

    /// Whether `tp` is assigned now.
    pub(super) fn owns(&self, tp: &TopicPartition) -> bool {
        self.assigned.contains_key(tp)
    }

    /// Whether a record of `tp` read in epoch `read_in` is still this task's to handle.
    pub(super) fn takes(&mut self, tp: &TopicPartition, read_in: u64) -> bool {
        let since = match self.last.as_ref().filter(|(last, _)| last == tp) {
            Some((_, since)) => *since,
            None => match self.assigned.get(tp) {
                Some(since) => {
                    self.last = Some((tp.clone(), *since));
                    *since
                }
                None => return false,
            },
        };
        since <= read_in
    }

    /// The partitions assigned now.
    pub(super) fn partitions(&self) -> impl Iterator<Item = &TopicPartition> {
        self.assigned.keys()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(partition: i32) -> TopicPartition {
        TopicPartition {
            topic: "t".into(),
            partition,
        }
    }

    #[test]
    fn a_chunk_read_before_a_revoke_and_reassign_is_stale_for_that_partition_only() {
        let mut o = Ownership::default();
        o.assign(&[tp(0), tp(1)]);
        // A chunk of both partitions is read and handed to a decode thread...
        let read_in = o.epoch();
        assert!(o.takes(&tp(0), read_in));
        // ...and while it decodes, partition 0 is revoked and assigned again.
        o.revoke(&[tp(0)]);
        assert!(!o.takes(&tp(0), read_in), "revoked");
        o.assign(&[tp(0)]);
        assert!(o.owns(&tp(0)));
        assert!(!o.takes(&tp(0), read_in), "read before the new assignment");
        assert!(o.takes(&tp(1), read_in), "partition 1 was never revoked");
        assert!(o.takes(&tp(0), o.epoch()), "records read now are taken");
    }

    #[test]
    fn the_remembered_partition_is_forgotten_on_a_revoke() {
        let mut o = Ownership::default();
        o.assign(&[tp(3)]);
        let read_in = o.epoch();
        assert!(o.takes(&tp(3), read_in));
        o.revoke(&[tp(3)]);
        assert!(!o.takes(&tp(3), read_in));
        assert!(!o.owns(&tp(3)));
        assert_eq!(o.partitions().count(), 0);
    }
}
