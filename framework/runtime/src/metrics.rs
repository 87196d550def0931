//! Prometheus metrics, served as text at `/metrics`.
//!
//! | name | type | labels |
//! |---|---|---|
//! | `sluice_records_read_total` | counter | connector, task |
//! | `sluice_records_written_total` | counter | connector, task |
//! | `sluice_records_filtered_total` | counter | connector, task |
//! | `sluice_records_failed_total` | counter | connector, task |
//! | `sluice_source_records_polled_total` | counter | connector, task |
//! | `sluice_batch_size_records` | histogram | connector, task |
//! | `sluice_sink_write_duration_seconds` | histogram | connector, task |
//! | `sluice_consumer_lag_records` | gauge | connector, task, topic, partition |
//! | `sluice_task_state` | gauge, 1 for the current state | connector, task, state |
//!
//! Task code takes its counters once (they are shared handles) and adds per batch, so the
//! hot path never hashes label sets.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::status::State;

/// Labels of per-task series.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TaskLabels {
    /// Connector name.
    pub connector: String,
    /// Task number.
    pub task: String,
}

/// Labels of per-partition series.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PartitionLabels {
    /// Connector name.
    pub connector: String,
    /// Task number.
    pub task: String,
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: String,
}

/// Labels of the task state series.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabels {
    /// Connector name.
    pub connector: String,
    /// Task number.
    pub task: String,
    /// State name.
    pub state: String,
}

type HistogramFamily = Family<TaskLabels, Histogram, fn() -> Histogram>;

fn batch_histogram() -> Histogram {
    Histogram::new(exponential_buckets(1.0, 2.0, 15))
}

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// Every metric family of a worker.
pub struct Metrics {
    registry: Registry,
    read: Family<TaskLabels, Counter>,
    written: Family<TaskLabels, Counter>,
    filtered: Family<TaskLabels, Counter>,
    failed: Family<TaskLabels, Counter>,
    polled: Family<TaskLabels, Counter>,
    batch_size: HistogramFamily,
    write_latency: HistogramFamily,
    lag: Family<PartitionLabels, Gauge>,
    state: Family<StateLabels, Gauge>,
    /// Lag series created so far, so that a deleted connector's can be removed.
    lag_series: std::sync::Mutex<Vec<PartitionLabels>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Creates and registers every family.
    pub fn new() -> Self {
        let mut m = Self {
            registry: Registry::with_prefix("sluice"),
            read: Family::default(),
            written: Family::default(),
            filtered: Family::default(),
            failed: Family::default(),
            polled: Family::default(),
            batch_size: Family::new_with_constructor(batch_histogram),
            write_latency: Family::new_with_constructor(latency_histogram),
            lag: Family::default(),
            state: Family::default(),
            lag_series: std::sync::Mutex::new(Vec::new()),
        };
        let r = &mut m.registry;
        r.register(
            "records_read",
            "Records read from Kafka by sink tasks",
            m.read.clone(),
        );
        r.register(
            "records_written",
            "Records acknowledged by the sink or produced to Kafka",
            m.written.clone(),
        );
        r.register(
            "records_filtered",
            "Records dropped by a transform",
            m.filtered.clone(),
        );
        r.register(
            "records_failed",
            "Records that failed conversion, a transform or the sink",
            m.failed.clone(),
        );
        r.register(
            "source_records_polled",
            "Records returned by source tasks",
            m.polled.clone(),
        );
        r.register(
            "batch_size_records",
            "Records per sink write",
            m.batch_size.clone(),
        );
        r.register(
            "sink_write_duration_seconds",
            "Time of one sink write",
            m.write_latency.clone(),
        );
        r.register(
            "consumer_lag_records",
            "Records between the committed offset and the end",
            m.lag.clone(),
        );
        r.register(
            "task_state",
            "1 for the task's current state",
            m.state.clone(),
        );
        m
    }

    /// The handles one task updates.
    pub fn task(&self, connector: &str, task: u32) -> TaskMetrics {
        let labels = TaskLabels {
            connector: connector.to_owned(),
            task: task.to_string(),
        };
        TaskMetrics {
            read: self.read.get_or_create_owned(&labels),
            written: self.written.get_or_create_owned(&labels),
            filtered: self.filtered.get_or_create_owned(&labels),
            failed: self.failed.get_or_create_owned(&labels),
            polled: self.polled.get_or_create_owned(&labels),
            batch_size: self.batch_size.get_or_create_owned(&labels),
            write_latency: self.write_latency.get_or_create_owned(&labels),
            labels,
        }
    }

    /// Records a partition's lag.
    pub fn set_lag(&self, labels: &TaskLabels, topic: &str, partition: i32, lag: i64) {
        let key = PartitionLabels {
            connector: labels.connector.clone(),
            task: labels.task.clone(),
            topic: topic.to_owned(),
            partition: partition.to_string(),
        };
        self.lag.get_or_create(&key).set(lag);
        let mut known = self.lag_series.lock().unwrap_or_else(|p| p.into_inner());
        if !known.contains(&key) {
            known.push(key);
        }
    }

    /// Sets the task's state series: 1 for `state`, 0 for the others.
    pub fn set_state(&self, connector: &str, task: u32, state: State) {
        for s in State::ALL {
            let key = StateLabels {
                connector: connector.to_owned(),
                task: task.to_string(),
                state: s.as_str().to_owned(),
            };
            self.state.get_or_create(&key).set(i64::from(s == state));
        }
    }

    /// Removes a deleted connector's series for tasks `0..tasks`.
    pub fn forget(&self, connector: &str, tasks: u32) {
        for task in 0..tasks {
            let labels = TaskLabels {
                connector: connector.to_owned(),
                task: task.to_string(),
            };
            for family in [
                &self.read,
                &self.written,
                &self.filtered,
                &self.failed,
                &self.polled,
            ] {
                family.remove(&labels);
            }
            self.batch_size.remove(&labels);
            self.write_latency.remove(&labels);
            for s in State::ALL {
                let key = StateLabels {
                    connector: connector.to_owned(),
                    task: task.to_string(),
                    state: s.as_str().to_owned(),
                };
                self.state.remove(&key);
            }
        }
        let mut known = self.lag_series.lock().unwrap_or_else(|p| p.into_inner());
        known.retain(|l| {
            let keep = l.connector != connector;
            if !keep {
                self.lag.remove(l);
            }
            keep
        });
    }

    /// Records written (sink) or produced (source) by tasks `0..tasks` of a connector.
    pub fn written_total(&self, connector: &str, tasks: u32) -> u64 {
        (0..tasks)
            .filter_map(|task| {
                let labels = TaskLabels {
                    connector: connector.to_owned(),
                    task: task.to_string(),
                };
                self.written.get(&labels).map(|c| c.get())
            })
            .sum()
    }

    /// The summed lag of a connector's partitions, as last reported by its consumers.
    pub fn lag_total(&self, connector: &str) -> i64 {
        let known = self.lag_series.lock().unwrap_or_else(|p| p.into_inner());
        known
            .iter()
            .filter(|l| l.connector == connector)
            .filter_map(|l| self.lag.get(l).map(|g| g.get()))
            .sum()
    }

    /// The text exposition of every series.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// One task's metric handles.
#[derive(Clone)]
pub struct TaskMetrics {
    /// The task's labels.
    pub labels: TaskLabels,
    /// Records read from Kafka.
    pub read: Counter,
    /// Records written (sink) or produced (source).
    pub written: Counter,
    /// Records dropped by a transform.
    pub filtered: Counter,
    /// Records that failed.
    pub failed: Counter,
    /// Records a source task returned.
    pub polled: Counter,
    /// Records per sink write.
    pub batch_size: Histogram,
    /// Sink write time.
    pub write_latency: Histogram,
}
