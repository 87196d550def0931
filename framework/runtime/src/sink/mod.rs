//! The sink task loop: Kafka -> converter -> transform chain -> batcher -> sink -> offsets.
//!
//! Delivery guarantee: at least once. An offset is committed only after every record before
//! it on its partition was acknowledged by the sink, filtered, or tolerated as bad (and
//! acknowledged by the dead-letter topic). Commits happen every `offset.flush.interval.ms`,
//! synchronously on revoke (inside the rebalance callback) and on stop; the loop waits at
//! most `offset.flush.timeout.ms` for each, and as long for the close that leaves the
//! group (see `sink/bounded.rs`).
//!
//! Decoding is pipelined: the loop reads a chunk of waiting messages, hands it to a
//! decode thread and reads the next while the first is decoded; decoded chunks are taken
//! in the order read, so per partition records reach the batch in offset order. A chunk
//! carries the assignment epoch it was read in, and a record read before its partition was
//! (re)assigned is dropped, because the new assignment reads it again.
//!
//! Memory is bounded: the loop reads no more while a batch is written, at most six
//! chunks are in decoding, librdkafka's prefetch is capped by `queued.max.messages.kbytes`
//! (16 MiB unless overridden), and while a transient sink failure is retried (exponential
//! backoff with jitter, capped by `errors.retry.delay.max.ms`) every assigned partition is
//! paused and the consumer keeps being polled so that the group membership and rebalances
//! stay alive.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use rdkafka::consumer::Consumer;
use sluice_core::connector::{ConnectorPlugin, SinkTask, WriteOutcome};
use sluice_core::plugins::Plugins;
use sluice_core::transform::Chain;
use sluice_core::{Error, Fault, Header, Origin, Record, Result};
use tokio::time::{sleep_until, Instant};

use crate::errors::{ErrorHandler, Stage};
use crate::kafka::{client_config, sink_group_id, ClientKind};
use crate::offsets::OffsetTracker;
use crate::pipeline::{self, Side};
use crate::status::{State, TargetState};
use crate::stores::memory::lock;
use crate::task::TaskEnv;

pub mod batch;
mod bounded;
pub mod context;
mod decode_threads;
mod ownership;
mod records;

use batch::{Batch, BatchLimits};
use bounded::{Commit, TaskConsumer};
use context::{commit_list, AssignmentChange, SinkContext};
use ownership::Ownership;
use records::{origin_of, to_raw, Converters, Decoded, Failed, Intake, Raw};

/// Below this many messages a chunk is decoded on the loop's own thread (and a written
/// batch freed there): handing a few records to another thread costs more than it saves.
const PARALLEL_FROM: usize = 64;

/// Most messages read in one go before they are decoded.
const CHUNK: usize = 256;

/// Chunks being decoded while the loop reads the next one. Deep enough that a loop
/// waiting for its oldest chunk finds a later one to decode itself (see
/// [`decode_threads::help`]).
const PIPELINE_DEPTH: usize = 6;

/// A hash set with a fast hasher: the loop looks up every record's partition. The keys
/// are names the broker assigned to this task, not attacker-chosen input.
type FastSet<T> = HashSet<T, foldhash::fast::RandomState>;

/// A hash map with a fast hasher, for the same reason as [`FastSet`].
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// What woke the loop.
enum Wake {
    Control,
    Message(Result<Option<Raw>>),
    Linger,
    Commit,
}

/// Counts kept locally and added to the metrics once per batch.
#[derive(Default)]
struct Counts {
    read: u64,
    filtered: u64,
    failed: u64,
}

/// A running sink task.
pub struct SinkRunner {
    env: TaskEnv,
    consumer: TaskConsumer,
    /// How long an offset commit, or leaving the group at the end, may take
    /// (`offset.flush.timeout.ms`): each is one round trip to the group coordinator.
    commit_timeout: Duration,
    tracker: Arc<Mutex<OffsetTracker>>,
    task: Box<dyn SinkTask>,
    chain: Chain,
    converters: Arc<Converters>,
    errors: ErrorHandler,
    limits: BatchLimits,
    retry_delay_max: Duration,
    batch: Batch,
    /// Records read while partitions were paused, handled after they resume.
    stash: VecDeque<Raw>,
    /// How messages are copied in: topic names shared, headers copied or not.
    intake: Intake,
    active_topics: Arc<Mutex<BTreeSet<String>>>,
    seen_topics: FastSet<Arc<str>>,
    /// The topic of the last record taken in.
    last_topic: Option<Arc<str>>,
    /// The partitions owned and since which assignment epoch.
    ownership: Ownership,
    paused: bool,
    counts: Counts,
}

impl SinkRunner {
    /// Builds the task, its pipeline and its consumer. Nothing is read yet.
    pub fn new(
        env: TaskEnv,
        plugin: &dyn ConnectorPlugin,
        plugins: &Plugins,
        active_topics: Arc<Mutex<BTreeSet<String>>>,
    ) -> Result<Self> {
        let settings = &env.settings;
        let tracker = Arc::new(Mutex::new(OffsetTracker::new()));
        let context = SinkContext::new(
            tracker.clone(),
            env.metrics.clone(),
            env.task_metrics.labels.clone(),
        );
        let mut config = client_config(&env.worker, settings, ClientKind::Consumer);
        config
            .set("group.id", sink_group_id(&env.connector))
            .set(
                "client.id",
                format!("connector-consumer-{}-{}", env.connector, env.task),
            )
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false");
        let consumer = config
            .create_with_context(context)
            .map_err(|e| Error::config(format!("consumer: {e}")))?;
        let commit_timeout = env.worker.offset_flush_timeout()?;
        let retry_max = settings
            .get("errors.retry.delay.max.ms")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(60_000);
        let task = plugin.sink_task(settings)?;
        let chain = pipeline::chain(plugins, settings)?;
        let errors = ErrorHandler::new(&env)?;
        // Parsing a message's headers costs librdkafka an allocation even when there are
        // none, so they are read only when something downstream may look at them.
        let reads_headers = task.reads_headers() || !chain.is_empty() || errors.keeps_headers();
        Ok(Self {
            task,
            chain,
            converters: Arc::new(Converters {
                key: pipeline::converter(&env.worker, settings, Side::Key)?,
                value: pipeline::converter(&env.worker, settings, Side::Value)?,
            }),
            errors,
            limits: BatchLimits::from_settings(settings)?,
            retry_delay_max: Duration::from_millis(retry_max),
            env,
            consumer: TaskConsumer::new(consumer),
            commit_timeout,
            tracker,
            batch: Batch::default(),
            stash: VecDeque::new(),
            intake: Intake::new(reads_headers),
            active_topics,
            seen_topics: FastSet::default(),
            last_topic: None,
            ownership: Ownership::default(),
            paused: false,
            counts: Counts::default(),
        })
    }

    /// Runs until the task is stopped or fails; the outcome is in the task's status.
    pub async fn run(mut self) {
        let result = match self.consume().await {
            Ok(()) => self.drain().await,
            // A bad record: write what came before it, so the commit lands exactly on it.
            Err(e) if e.fault == Fault::Data => {
                let drained = self.drain().await;
                Err(drained.err().unwrap_or(e))
            }
            Err(e) => {
                self.commit().await;
                Err(e)
            }
        };
        if let Err(e) = self.task.stop().await {
            tracing::warn!(error = %e, "sink stop failed");
        }
        self.flush_counts(0);
        if let Err(e) = result {
            tracing::error!(error = %e, "task failed");
            self.env.status.fail(e.to_string());
        }
        let limit = self.commit_timeout;
        if !self.consumer.close(limit).await {
            tracing::warn!(
                timeout = ?limit,
                "consumer did not leave the group in time; its partitions move to other \
                 members when its session expires"
            );
        }
    }

    fn subscribe(&self) -> Result<()> {
        let s = &self.env.settings;
        let regex = s
            .get("topics.regex")
            .map(|r| r.trim())
            .filter(|r| !r.is_empty());
        let subscription = match regex {
            // librdkafka treats a leading ^ as a regex; anchor the end as Kafka Connect does.
            Some(r) => vec![format!("^({r})$")],
            None => sluice_core::config::split_list(s.get("topics").map_or("", String::as_str)),
        };
        let refs: Vec<&str> = subscription.iter().map(String::as_str).collect();
        self.consumer
            .subscribe(&refs)
            .map_err(|e| Error::config(format!("subscribe: {e}")))
    }

    async fn consume(&mut self) -> Result<()> {
        self.subscribe()?;
        self.env.status.set(State::Running);
        let mut commit_at = Instant::now() + self.env.commit_interval;
        loop {
            self.apply_changes().await?;
            match self.env.target() {
                TargetState::Stopped => return Ok(()),
                TargetState::Paused => {
                    self.pause().await?;
                    continue;
                }
                TargetState::Started => {}
            }
            match self.stash.pop_front() {
                Some(raw) => self.accept(raw).await?,
                None => match self.next(commit_at).await {
                    Wake::Control => {}
                    Wake::Message(raw) => {
                        // The poll that returned it may have run rebalance callbacks.
                        self.apply_changes().await?;
                        if let Some(raw) = raw? {
                            self.accept(raw).await?;
                        }
                        self.take_ready(commit_at).await?;
                    }
                    Wake::Linger => self.write_batch().await?,
                    Wake::Commit => {}
                },
            }
            if self.batch.is_full(&self.limits) {
                self.write_batch().await?;
            }
            if Instant::now() >= commit_at {
                self.commit().await;
                commit_at = Instant::now() + self.env.commit_interval;
            }
        }
    }

    /// Waits for the next message, the linger deadline, the commit deadline or a control change.
    async fn next(&mut self, commit_at: Instant) -> Wake {
        let linger = self.batch.deadline(&self.limits);
        let consumer = &self.consumer;
        let intake = &mut self.intake;
        tokio::select! {
            biased;
            changed = self.env.control.changed() => {
                if changed.is_err() {
                    // The worker dropped the task's handle: treat it as a stop.
                    self.env.control = tokio::sync::watch::channel(TargetState::Stopped).1;
                }
                Wake::Control
            }
            m = consumer.recv() => Wake::Message(to_raw(m, intake)),
            _ = sleep_until(linger.unwrap_or(commit_at)), if linger.is_some() => Wake::Linger,
            _ = sleep_until(commit_at) => Wake::Commit,
        }
    }

    /// Handles the messages already waiting in the consumer's queue without going back
    /// through the select, so one wake-up serves a whole fetch. It is a pipeline: while a
    /// decode thread decodes a chunk, the loop reads the next one and takes in the one
    /// before; full batches are written on the way. It returns when the queue is empty,
    /// a commit is due or the target state changed, with no chunk left in decoding.
    async fn take_ready(&mut self, commit_at: Instant) -> Result<()> {
        let mut decoding = VecDeque::new();
        let mut reading = true;
        loop {
            while reading && decoding.len() < PIPELINE_DEPTH {
                let epoch = self.ownership.epoch();
                let (raws, drained) = self.read_chunk()?;
                if !raws.is_empty() {
                    decoding.push_back((epoch, self.dispatch(raws)));
                }
                // A poll that runs a rebalance callback returns no message, so the chunk
                // was read before any change just made: it keeps the epoch it was read in.
                self.apply_changes().await?;
                reading = !drained && !self.must_yield(commit_at);
            }
            let Some((epoch, next)) = decoding.pop_front() else {
                // Records filtered or dead-lettered count even when no batch is written.
                self.flush_counts(0);
                return Ok(());
            };
            let chunk = decoded(next).await?;
            for decoded in chunk {
                if self.batch.is_full(&self.limits) {
                    self.write_batch().await?;
                    // Retrying a write may have read newer records into the stash: they
                    // come after the chunks in decoding, and before anything read later.
                    reading &= self.stash.is_empty();
                }
                self.accept_decoded(decoded, epoch).await?;
            }
        }
    }

    /// Whether `take_ready` must hand back to the loop: a commit is due or the target
    /// state changed.
    fn must_yield(&self, commit_at: Instant) -> bool {
        Instant::now() >= commit_at || self.env.control.has_changed().unwrap_or(true)
    }

    /// Copies up to [`CHUNK`] messages that are already waiting; also says whether the
    /// queue ran dry (or a poll served a callback instead of a message).
    fn read_chunk(&mut self) -> Result<(Vec<Raw>, bool)> {
        // One stream for the chunk: each stream registers a waker slot under a lock.
        let mut stream = self.consumer.stream();
        let mut raws = Vec::with_capacity(CHUNK);
        for _ in 0..CHUNK {
            let Some(Some(m)) = futures::StreamExt::next(&mut stream).now_or_never() else {
                return Ok((raws, true));
            };
            raws.extend(to_raw(m, &mut self.intake)?);
        }
        Ok((raws, false))
    }

    /// Hands a chunk to a decode thread; a small one is decoded here and now.
    fn dispatch(&self, raws: Vec<Raw>) -> tokio::sync::oneshot::Receiver<Vec<Decoded>> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        if raws.len() < PARALLEL_FROM {
            drop(tx.send(self.converters.decode_chunk(raws)));
            return rx;
        }
        let converters = self.converters.clone();
        // The receiver is gone only if the task failed meanwhile.
        decode_threads::run(move || drop(tx.send(converters.decode_chunk(raws))));
        rx
    }

    /// Takes in a record read in the current epoch.
    async fn accept(&mut self, raw: Raw) -> Result<()> {
        let decoded = self.converters.decode(raw);
        let epoch = self.ownership.epoch();
        self.accept_decoded(decoded, epoch).await
    }

    /// Takes in a decoded record read in `epoch`: through the transform chain into the
    /// batch, or to the error handler.
    async fn accept_decoded(&mut self, decoded: Decoded, epoch: u64) -> Result<()> {
        match self.take_in(decoded, epoch) {
            None => Ok(()),
            Some(f) => self.reject(f.stage, &f.origin, &f.headers, &f.error).await,
        }
    }

    /// The part of [`Self::accept_decoded`] that never waits, kept out of the async
    /// function so that a record is not copied through its state on the way to the batch.
    /// Returns the record if it failed.
    fn take_in(&mut self, decoded: Decoded, epoch: u64) -> Option<Failed> {
        self.counts.read += 1;
        let origin = origin_of(&decoded);
        if !self.ownership.takes(&origin.tp, epoch) {
            // Read before its partition was revoked: its new owner reads it again.
            return None;
        }
        self.note_topic(&origin.tp.topic);
        let record = match decoded {
            Ok(r) => r,
            Err(f) => return Some(f),
        };
        if self.chain.is_empty() {
            self.batch_in(record);
            return None;
        }
        let (origin, headers) = (record.origin.clone(), record.headers.clone());
        match self.chain.apply(record) {
            Ok(Some(record)) => self.batch_in(record),
            Ok(None) => {
                self.counts.filtered += 1;
                lock(&self.tracker).handled(&origin.tp, origin.offset);
            }
            Err(error) => {
                return Some(Failed {
                    stage: Stage::Transformation,
                    origin,
                    headers,
                    error,
                })
            }
        }
        None
    }

    fn batch_in(&mut self, record: Record) {
        lock(&self.tracker).in_flight(&record.origin.tp, record.origin.offset);
        self.batch.push(record, &self.limits);
    }

    /// Applies `errors.tolerance` to a record that failed before reaching the sink.
    async fn reject(
        &mut self,
        stage: Stage,
        origin: &Origin,
        headers: &[Header],
        e: &Error,
    ) -> Result<()> {
        self.errors
            .handle(&self.env, stage, origin, headers, e)
            .await?;
        self.counts.failed += 1;
        lock(&self.tracker).handled(&origin.tp, origin.offset);
        Ok(())
    }

    fn note_topic(&mut self, topic: &Arc<str>) {
        // Topic names are shared, so most records are told apart by a pointer compare; the
        // shared set is touched only when this task sees a topic for the first time.
        if self
            .last_topic
            .as_ref()
            .is_some_and(|t| Arc::ptr_eq(t, topic))
        {
            return;
        }
        self.last_topic = Some(topic.clone());
        if self.seen_topics.insert(topic.clone()) {
            lock(&self.active_topics).insert(topic.to_string());
        }
    }

    /// Writes the batch, retrying transient failures, then settles each record's offset.
    async fn write_batch(&mut self) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let mut records = self.batch.take();
        let mut attempt = 0u32;
        let outcome = loop {
            let started = Instant::now();
            match self.task.write(&records).await {
                Ok(outcome) => {
                    self.env
                        .task_metrics
                        .write_latency
                        .observe(started.elapsed().as_secs_f64());
                    break outcome;
                }
                Err(e) if e.is_retriable() => {
                    attempt += 1;
                    tracing::warn!(attempt,
                        records = records.len(), error = %e.message, "sink write failed; retrying");
                    if !self.back_off(attempt).await? {
                        // Stopping: the batch stays uncommitted and is read again next time.
                        return Ok(());
                    }
                    records.retain(|r| self.ownership.owns(&r.origin.tp));
                    if records.is_empty() {
                        break WriteOutcome::all_written();
                    }
                }
                Err(e) => return Err(e.context("sink write")),
            }
        };
        if attempt > 0 {
            self.resume_all();
        }
        let settled = self.settle(&records, outcome).await;
        release(records);
        settled
    }

    /// Acknowledges written records and applies `errors.tolerance` to rejected ones.
    async fn settle(&mut self, records: &[Record], outcome: WriteOutcome) -> Result<()> {
        let rejected: HashMap<usize, Error> = outcome
            .rejected
            .into_iter()
            .map(|r| (r.index, r.error))
            .collect();
        {
            let mut tracker = lock(&self.tracker);
            for (i, r) in records.iter().enumerate() {
                if rejected.is_empty() || !rejected.contains_key(&i) {
                    tracker.acknowledged(&r.origin.tp, r.origin.offset);
                }
            }
        }
        for (i, r) in records.iter().enumerate().filter(|_| !rejected.is_empty()) {
            if let Some(e) = rejected.get(&i) {
                self.errors
                    .handle(&self.env, Stage::TaskPut, &r.origin, &r.headers, e)
                    .await?;
                self.counts.failed += 1;
                lock(&self.tracker).acknowledged(&r.origin.tp, r.origin.offset);
            }
        }
        let written = (records.len() - rejected.len()) as u64;
        self.flush_counts(written);
        self.env
            .task_metrics
            .batch_size
            .observe(records.len() as f64);
        tracing::debug!(
            records = records.len(),
            rejected = rejected.len(),
            "batch written"
        );
        Ok(())
    }

    fn flush_counts(&mut self, written: u64) {
        let m = &self.env.task_metrics;
        m.read.inc_by(std::mem::take(&mut self.counts.read));
        m.filtered.inc_by(std::mem::take(&mut self.counts.filtered));
        m.failed.inc_by(std::mem::take(&mut self.counts.failed));
        m.written.inc_by(written);
    }

    /// Waits before the next attempt with partitions paused. `false`: a stop was requested.
    async fn back_off(&mut self, attempt: u32) -> Result<bool> {
        if !self.paused {
            self.pause_all();
        }
        let until = Instant::now() + backoff_delay(attempt, self.retry_delay_max);
        loop {
            let consumer = &self.consumer;
            let intake = &mut self.intake;
            tokio::select! {
                _ = sleep_until(until) => return Ok(true),
                changed = self.env.control.changed() => {
                    if changed.is_err() || self.env.target() == TargetState::Stopped {
                        return Ok(false);
                    }
                }
                m = consumer.recv() => self.stash.extend(to_raw(m, intake)?),
            }
            self.apply_changes().await?;
        }
    }

    /// Pauses consumption until the target state changes; the batch is written first.
    async fn pause(&mut self) -> Result<()> {
        self.write_batch().await?;
        self.commit().await;
        self.pause_all();
        self.env.status.set(State::Paused);
        while self.env.target() == TargetState::Paused {
            let consumer = &self.consumer;
            let intake = &mut self.intake;
            tokio::select! {
                changed = self.env.control.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
                m = consumer.recv() => self.stash.extend(to_raw(m, intake)?),
            }
            self.apply_changes().await?;
        }
        self.resume_all();
        self.env.status.set(State::Running);
        Ok(())
    }

    fn pause_all(&mut self) {
        match self
            .consumer
            .assignment()
            .and_then(|tpl| self.consumer.pause(&tpl))
        {
            Ok(()) => self.paused = true,
            Err(e) => {
                tracing::warn!(error = %e, "pause failed")
            }
        }
    }

    fn resume_all(&mut self) {
        match self
            .consumer
            .assignment()
            .and_then(|tpl| self.consumer.resume(&tpl))
        {
            Ok(()) => self.paused = false,
            Err(e) => {
                tracing::warn!(error = %e, "resume failed")
            }
        }
    }

    /// Acts on assignment changes made by the rebalance callbacks.
    async fn apply_changes(&mut self) -> Result<()> {
        let changes = self.consumer.context().take_changes();
        for change in changes {
            match change {
                AssignmentChange::Assigned(tps) => {
                    self.ownership.assign(&tps);
                    self.task.open(&tps).await?;
                    if self.paused {
                        self.pause_all();
                    }
                }
                AssignmentChange::Revoked(tps) => {
                    self.ownership.revoke(&tps);
                    self.batch.retain(|r| !tps.contains(&r.origin.tp));
                    self.stash.retain(|r| !tps.contains(&r.origin.tp));
                    self.task.close(&tps).await?;
                }
            }
        }
        Ok(())
    }

    /// Commits every offset that may be committed. Failures are logged and retried at the
    /// next commit: the offsets stay tracked.
    async fn commit(&mut self) {
        if !self.chain.is_empty() {
            let mut tracker = lock(&self.tracker);
            for tp in self.ownership.partitions() {
                tracker.set_held(tp, self.chain.held_from(tp));
            }
        }
        let offsets = lock(&self.tracker).to_commit();
        if offsets.is_empty() {
            return;
        }
        if let Err(e) = self.task.flush().await {
            tracing::warn!(error = %e, "sink flush failed; commit skipped");
            return;
        }
        let limit = self.commit_timeout;
        match self.consumer.commit(commit_list(&offsets), limit).await {
            Commit::Done => {
                lock(&self.tracker).committed(&offsets);
                tracing::debug!(partitions = offsets.len(), "offsets committed");
            }
            Commit::Failed(e) => tracing::warn!(error = %e, "offset commit failed"),
            Commit::TimedOut => tracing::warn!(
                timeout = ?limit,
                partitions = offsets.len(),
                "offset commit did not finish in time; records after the last commit \
                 will be read again unless it still lands"
            ),
            Commit::Busy => tracing::warn!("offset commit skipped: the last one has not returned"),
            Commit::NoThread => tracing::warn!("offset commit could not be started"),
        }
    }

    /// Writes what is batched and commits, for a clean stop.
    async fn drain(&mut self) -> Result<()> {
        while let Some(raw) = self.stash.pop_front() {
            self.accept(raw).await?;
        }
        let written = self.write_batch().await;
        self.commit().await;
        written
    }
}

/// The decoded chunk. While it is not ready, jobs waiting for a decode thread are run
/// here (its own, if it has not started yet) instead of waiting idle.
async fn decoded(mut next: tokio::sync::oneshot::Receiver<Vec<Decoded>>) -> Result<Vec<Decoded>> {
    use tokio::sync::oneshot::error::TryRecvError;
    let panicked = || Error::fatal("decoding a chunk of records panicked");
    loop {
        match next.try_recv() {
            Ok(chunk) => return Ok(chunk),
            Err(TryRecvError::Closed) => return Err(panicked()),
            Err(TryRecvError::Empty) if decode_threads::help() => {}
            Err(TryRecvError::Empty) => return next.await.map_err(|_| panicked()),
        }
    }
}

/// Frees a written batch on another thread: dropping a thousand value trees is a
/// noticeable share of the loop's time, and nothing needs to wait for it.
fn release(records: Vec<Record>) {
    if records.len() >= PARALLEL_FROM {
        decode_threads::run(move || drop(records));
    }
}

/// Exponential backoff from 100 ms, capped, with up to 20% jitter so tasks do not retry in step.
fn backoff_delay(attempt: u32, max: Duration) -> Duration {
    let base = Duration::from_millis(100).saturating_mul(1u32 << attempt.min(16).saturating_sub(1));
    let capped = base.min(max);
    let jitter = capped.mul_f64(0.2 * pseudo_random());
    capped.saturating_sub(jitter)
}

fn pseudo_random() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    f64::from(nanos % 1000) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let max = Duration::from_secs(2);
        let d1 = backoff_delay(1, max);
        assert!(
            d1 <= Duration::from_millis(100) && d1 >= Duration::from_millis(80),
            "{d1:?}"
        );
        let d4 = backoff_delay(4, max);
        assert!(
            d4 <= Duration::from_millis(800) && d4 >= Duration::from_millis(640),
            "{d4:?}"
        );
        assert!(backoff_delay(30, max) <= max);
    }
}
