//! Threads that decode chunks of records, and free written batches, beside the task loops.
//!
//! One fewer than the cores (at least one): the task loops, librdkafka's threads and the
//! sinks need the rest. Idle threads block on the job channel instead of spinning, so a
//! quiet worker costs nothing and a busy one loses no cycles to threads looking for work.
//! If no thread can be started, jobs run on the caller.

use std::sync::OnceLock;

type Job = Box<dyn FnOnce() + Send>;

fn jobs() -> Option<&'static crossbeam_channel::Sender<Job>> {
    static JOBS: OnceLock<Option<crossbeam_channel::Sender<Job>>> = OnceLock::new();
    JOBS.get_or_init(start).as_ref()
}

fn start() -> Option<crossbeam_channel::Sender<Job>> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (tx, rx) = crossbeam_channel::unbounded::<Job>();
    let mut started = 0;
    for i in 0..cores.saturating_sub(1).max(1) {
        let rx = rx.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("sluice-decode-{i}"))
            .spawn(move || rx.iter().for_each(|job| job()));
        match spawned {
            Ok(_) => started += 1,
            Err(e) => tracing::warn!(error = %e, "decode thread not started"),
        }
    }
    (started > 0).then_some(tx)
}

/// Runs `job` on a decode thread, or here if there is none.
pub fn run(job: impl FnOnce() + Send + 'static) {
    match jobs() {
        Some(tx) => {
            if let Err(back) = tx.send(Box::new(job)) {
                (back.into_inner())();
            }
        }
        None => job(),
    }
}
