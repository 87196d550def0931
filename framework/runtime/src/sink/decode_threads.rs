//! Threads that decode chunks of records, and free written batches, beside the task loops.
//!
//! One per core, shared by every task of the worker; a task keeps several chunks in
//! decoding, so the cores stay busy while its loop reads on, and a loop that waits for a
//! chunk decodes a waiting one itself. Idle threads block on the job channel instead of
//! spinning (a work-stealing pool that spins between jobs measured slower here: its idle
//! threads took the cycles the loop and librdkafka needed), so a quiet worker costs
//! nothing. If no thread can be started, jobs run on the caller.

use std::sync::OnceLock;

type Job = Box<dyn FnOnce() + Send>;

/// Both ends of the job channel: the receiving end also serves loops that help out.
type Channel = (
    crossbeam_channel::Sender<Job>,
    crossbeam_channel::Receiver<Job>,
);

fn jobs() -> Option<&'static Channel> {
    static JOBS: OnceLock<Option<Channel>> = OnceLock::new();
    JOBS.get_or_init(start).as_ref()
}

fn start() -> Option<Channel> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (tx, rx) = crossbeam_channel::unbounded::<Job>();
    let mut started = 0;
    for i in 0..cores {
        let rx = rx.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("sluice-decode-{i}"))
            .spawn(move || rx.iter().for_each(run_caught));
        match spawned {
            Ok(_) => started += 1,
            Err(e) => tracing::warn!(error = %e, "decode thread not started"),
        }
    }
    (started > 0).then_some((tx, rx))
}

/// Runs a job, keeping the thread alive if it panics: the job's result channel is then
/// dropped unsent, and the task waiting on it fails with a clear error.
fn run_caught(job: Job) {
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
        tracing::error!("a decode job panicked");
    }
}

/// Runs one job that waits for a thread, here and now; `false` if none waits. A loop that
/// would otherwise sit idle until its oldest chunk is decoded calls this, so on a busy
/// host the work goes to whichever thread has a core.
pub fn help() -> bool {
    match jobs().map(|(_, rx)| rx.try_recv()) {
        Some(Ok(job)) => {
            run_caught(job);
            true
        }
        _ => false,
    }
}

/// Runs `job` on a decode thread, or here if there is none.
pub fn run(job: impl FnOnce() + Send + 'static) {
    match jobs() {
        Some((tx, _)) => {
            if let Err(back) = tx.send(Box::new(job)) {
                (back.into_inner())();
            }
        }
        None => job(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_waiting_job_can_be_run_by_the_caller() {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        // Keep every decode thread busy until the end of the test.
        let (release, hold) = crossbeam_channel::bounded::<()>(0);
        let (started_tx, started) = std::sync::mpsc::channel();
        for _ in 0..threads {
            let (hold, started_tx) = (hold.clone(), started_tx.clone());
            run(move || {
                started_tx.send(()).unwrap();
                let _ = hold.recv();
            });
        }
        for _ in 0..threads {
            started
                .recv_timeout(std::time::Duration::from_secs(5))
                .unwrap();
        }
        let (tx, rx) = std::sync::mpsc::channel();
        run(move || tx.send(std::thread::current().id()).unwrap());
        assert!(help(), "the queued job was waiting");
        assert_eq!(rx.try_recv(), Ok(std::thread::current().id()));
        assert!(!help(), "nothing else waits");
        drop(release);
    }

    #[test]
    fn panicking_jobs_leave_every_thread_working() {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let (tx, rx) = std::sync::mpsc::channel();
        // As many panics as threads: without the catch, none would be left.
        for _ in 0..threads {
            run(|| panic!("decoder bug"));
        }
        for _ in 0..8 {
            let tx = tx.clone();
            run(move || {
                let name = std::thread::current().name().map(str::to_owned);
                tx.send(name).unwrap();
            });
        }
        for _ in 0..8 {
            let name = rx.recv_timeout(std::time::Duration::from_secs(5)).unwrap();
            assert!(
                name.as_deref()
                    .is_some_and(|n| n.starts_with("sluice-decode-")),
                "{name:?}"
            );
        }
    }
}
