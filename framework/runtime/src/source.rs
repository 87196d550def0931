//! The source task loop: poll the task, encode, produce into Kafka, store source offsets.
//!
//! The producer is idempotent (`enable.idempotence=true`), so librdkafka's own retries never
//! duplicate or reorder a partition's records. Deliveries are awaited in the order records
//! were sent, and a source offset is stored only once its record and every record before it
//! are acknowledged by Kafka: a crash re-reads from the last stored offset (at least once),
//! never skips.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header as KafkaHeader, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer};
use sluice_core::connector::{ConnectorPlugin, SourceContext, SourceTask};
use sluice_core::converter::{Converter, Data};
use sluice_core::{Error, Fault, Result, SourceRecord};
use tokio::time::Instant;

use crate::kafka::{client_config, ClientKind};
use crate::pipeline::{self, Side};
use crate::status::{State, TargetState};
use crate::stores::OffsetStore;
use crate::task::{detach, TaskEnv};

/// Most records sent and not yet acknowledged before the loop waits.
const MAX_IN_FLIGHT: usize = 50_000;

/// The share of `task.shutdown.graceful.timeout.ms` that a stopping task waits for its last
/// deliveries. The worker abandons the task when the whole timeout is up, and the offsets
/// of what was acknowledged must be stored before that, or the next run produces those
/// records again.
const FINAL_WAIT_SHARE: f64 = 0.75;

/// A record sent to Kafka whose delivery is not yet known.
struct Pending {
    partition: serde_json::Value,
    offset: serde_json::Value,
    delivery: DeliveryFuture,
}

/// A running source task.
pub struct SourceRunner {
    env: TaskEnv,
    task: Box<dyn SourceTask>,
    producer: FutureProducer,
    key_converter: Arc<dyn Converter>,
    value_converter: Arc<dyn Converter>,
    offsets: Arc<dyn OffsetStore>,
    tolerate: bool,
    in_flight: VecDeque<Pending>,
    /// Latest acknowledged offset per source partition (keyed by its JSON text), not yet stored.
    acked: HashMap<String, (serde_json::Value, serde_json::Value)>,
}

impl SourceRunner {
    /// Builds the task, its converters and its producer.
    pub fn new(
        env: TaskEnv,
        plugin: &dyn ConnectorPlugin,
        offsets: Arc<dyn OffsetStore>,
    ) -> Result<Self> {
        let settings = &env.settings;
        let mut config = client_config(&env.worker, settings, ClientKind::Producer);
        config.set("enable.idempotence", "true").set(
            "client.id",
            format!("connector-producer-{}-{}", env.connector, env.task),
        );
        let producer = config
            .create()
            .map_err(|e| Error::config(format!("producer: {e}")))?;
        Ok(Self {
            task: plugin.source_task(settings)?,
            key_converter: pipeline::converter(&env.worker, settings, Side::Key)?,
            value_converter: pipeline::converter(&env.worker, settings, Side::Value)?,
            tolerate: settings
                .get("errors.tolerance")
                .is_some_and(|v| v.trim() == "all"),
            producer,
            offsets,
            env,
            in_flight: VecDeque::new(),
            acked: HashMap::new(),
        })
    }

    /// Runs until stopped or failed; the outcome is in the task's status.
    pub async fn run(mut self) {
        let result = self.produce().await;
        let finished = self.finish().await;
        if let Err(e) = self.task.stop().await {
            tracing::warn!(error = %e, "source stop failed");
        }
        if let Err(e) = result.and(finished) {
            tracing::error!(error = %e, "task failed");
            self.env.status.fail(e.to_string());
        }
        // Dropping the producer waits for requests still in flight; the task is done.
        detach("sluice-close", move || drop(self));
    }

    async fn produce(&mut self) -> Result<()> {
        let stored = self.offsets.get(&self.env.connector).await?;
        let context = SourceContext {
            offsets: stored
                .into_iter()
                .map(|(p, o)| (p.to_string(), o))
                .collect(),
        };
        self.task.start(&context).await?;
        self.env.status.set(State::Running);
        let mut store_at = Instant::now() + self.env.commit_interval;
        let mut attempt = 0u32;
        loop {
            match self.env.target() {
                TargetState::Stopped => return Ok(()),
                TargetState::Paused => {
                    self.wait_while_paused().await?;
                    continue;
                }
                TargetState::Started => {}
            }
            match self.task.poll().await {
                Ok(records) => {
                    attempt = 0;
                    self.env.task_metrics.polled.inc_by(records.len() as u64);
                    for r in records {
                        // With acknowledgements trailing, each send may wait for one; a
                        // stop must not wait for the whole poll. Records not sent are
                        // polled again from the stored offsets when the task next starts.
                        if self.env.target() == TargetState::Stopped {
                            break;
                        }
                        self.send(r).await?;
                    }
                }
                Err(e) if e.is_retriable() => {
                    attempt += 1;
                    tracing::warn!(attempt, error = %e.message, "poll failed; retrying");
                    tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt.min(50))))
                        .await;
                }
                Err(e) => return Err(e),
            }
            self.collect(false).await?;
            if Instant::now() >= store_at {
                self.store_offsets().await?;
                store_at = Instant::now() + self.env.commit_interval;
            }
        }
    }

    async fn wait_while_paused(&mut self) -> Result<()> {
        self.env.status.set(State::Paused);
        self.collect_all().await?;
        self.store_offsets().await?;
        while self.env.target() == TargetState::Paused {
            if self.env.control.changed().await.is_err() {
                break;
            }
        }
        self.env.status.set(State::Running);
        Ok(())
    }

    fn encode(
        &self,
        converter: &Arc<dyn Converter>,
        r: &SourceRecord,
        key: bool,
    ) -> Result<Option<Vec<u8>>> {
        let data = match key {
            true => Data {
                schema: r.key_schema.clone(),
                value: r.key.clone(),
            },
            false => Data {
                schema: r.value_schema.clone(),
                value: r.value.clone(),
            },
        };
        converter.from_data(&r.topic, &data)
    }

    /// Sends one record, waiting for older deliveries when librdkafka's queue is full.
    async fn send(&mut self, r: SourceRecord) -> Result<()> {
        let encoded = self
            .encode(&self.key_converter, &r, true)
            .and_then(|k| Ok((k, self.encode(&self.value_converter, &r, false)?)));
        let (key, value) = match encoded {
            Ok(kv) => kv,
            Err(e) if e.fault == Fault::Data && self.tolerate => {
                tracing::warn!(error = %e.message, "source record skipped");
                self.env.task_metrics.failed.inc();
                return Ok(());
            }
            Err(e) => {
                return Err(
                    e.context("Tolerance exceeded in error handler: stage SOURCE_CONVERTER failed")
                )
            }
        };
        let mut headers = OwnedHeaders::new();
        for h in &r.headers {
            headers = headers.insert(KafkaHeader {
                key: &h.key,
                value: h.value.as_deref(),
            });
        }
        let mut record: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(&r.topic).headers(headers);
        if let Some(k) = key.as_deref() {
            record = record.key(k);
        }
        if let Some(v) = value.as_deref() {
            record = record.payload(v);
        }
        if let Some(p) = r.partition {
            record = record.partition(p);
        }
        if let Some(t) = r.timestamp {
            record = record.timestamp(t);
        }
        let delivery = loop {
            match self.producer.send_result(record) {
                Ok(d) => break d,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    self.collect(true).await?;
                }
                Err((e, _)) => return Err(Error::fatal(format!("produce to {}: {e}", r.topic))),
            }
        };
        self.in_flight.push_back(Pending {
            partition: r.source_partition,
            offset: r.source_offset,
            delivery,
        });
        if self.in_flight.len() >= MAX_IN_FLIGHT {
            self.collect(true).await?;
        }
        Ok(())
    }

    /// Takes acknowledged deliveries off the front, in order. With `wait`, waits for at least one.
    async fn collect(&mut self, mut wait: bool) -> Result<()> {
        let mut delivered = 0u64;
        while let Some(front) = self.in_flight.front_mut() {
            let outcome = if wait {
                wait = false;
                Some((&mut front.delivery).await)
            } else {
                (&mut front.delivery).now_or_never()
            };
            let Some(outcome) = outcome else { break };
            let pending = self
                .in_flight
                .pop_front()
                .ok_or_else(|| Error::fatal("delivery queue empty"))?;
            match outcome {
                Ok(Ok(_)) => {
                    delivered += 1;
                    self.acked.insert(
                        pending.partition.to_string(),
                        (pending.partition, pending.offset),
                    );
                }
                Ok(Err((e, _))) => return Err(Error::fatal(format!("delivery failed: {e}"))),
                Err(_) => {
                    return Err(Error::fatal(
                        "delivery report lost: the producer was dropped",
                    ))
                }
            }
        }
        self.env.task_metrics.written.inc_by(delivered);
        Ok(())
    }

    async fn collect_all(&mut self) -> Result<()> {
        while !self.in_flight.is_empty() {
            self.collect(true).await?;
        }
        Ok(())
    }

    async fn store_offsets(&mut self) -> Result<()> {
        if self.acked.is_empty() {
            return Ok(());
        }
        let offsets: Vec<_> = self.acked.drain().map(|(_, v)| v).collect();
        if let Err(e) = self.offsets.put(&self.env.connector, &offsets).await {
            // As Kafka Connect: a failed offset flush is retried at the next one. Offsets
            // acknowledged meanwhile are newer and win.
            tracing::warn!(error = %e, "storing source offsets failed; retrying at the next flush");
            for (partition, offset) in offsets {
                self.acked
                    .entry(partition.to_string())
                    .or_insert((partition, offset));
            }
            return Ok(());
        }
        tracing::debug!(partitions = offsets.len(), "source offsets stored");
        self.task.commit().await
    }

    /// Waits for every delivery (for most of the shutdown timeout) and stores the offsets
    /// of those acknowledged.
    async fn finish(&mut self) -> Result<()> {
        let timeout = self
            .env
            .worker
            .shutdown_timeout()?
            .mul_f64(FINAL_WAIT_SHARE);
        let collected = tokio::time::timeout(timeout, self.collect_all()).await;
        let stored = self.store_offsets().await;
        // Whatever librdkafka still holds is dropped with the producer; those records' offsets
        // were not stored, so they are produced again next time.
        let _ = self.producer.flush(Duration::from_millis(100));
        match collected {
            Ok(r) => r.and(stored),
            Err(_) => Err(Error::fatal(format!(
                "{} deliveries still pending at stop",
                self.in_flight.len()
            ))),
        }
    }
}
