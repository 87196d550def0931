//! The batcher: records wait here until the batch is full by count or bytes, or the first
//! record has lingered long enough.

use std::time::Duration;

use sluice_core::config::Settings;
use sluice_core::plugins::sink_def;
use sluice_core::{Record, Result};
use tokio::time::Instant;

/// When a batch is written.
#[derive(Clone, Copy, Debug)]
pub struct BatchLimits {
    /// Most records.
    pub max_records: usize,
    /// Most bytes (approximate, from the raw record sizes).
    pub max_bytes: usize,
    /// Longest wait of the first record.
    pub linger: Duration,
}

impl BatchLimits {
    /// Reads `batch.max.records`, `batch.max.bytes`, `batch.linger.ms`.
    pub fn from_settings(settings: &Settings) -> Result<Self> {
        let def = sink_def();
        let c = def.view(settings, "");
        Ok(Self {
            max_records: c.long("batch.max.records")? as usize,
            max_bytes: c.long("batch.max.bytes")? as usize,
            linger: Duration::from_millis(c.long("batch.linger.ms")? as u64),
        })
    }
}

/// Most records a batch makes room for at once; a larger `batch.max.records` grows on.
pub const RESERVE_MAX: usize = 8192;

/// Records waiting to be written.
#[derive(Default)]
pub struct Batch {
    /// The records, in the order read.
    pub records: Vec<Record>,
    bytes: usize,
    opened: Option<Instant>,
}

impl Batch {
    /// Adds a record. The first one makes room for a full batch (up to [`RESERVE_MAX`]),
    /// because growing a vector of records by doubling copies each record again and again.
    pub fn push(&mut self, record: Record, limits: &BatchLimits) {
        if self.records.is_empty() {
            self.opened = Some(Instant::now());
            self.records
                .reserve(limits.max_records.clamp(1, RESERVE_MAX));
        }
        self.bytes += record.size_hint();
        self.records.push(record);
    }

    /// How many records wait.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Whether the batch must be written now.
    pub fn is_full(&self, limits: &BatchLimits) -> bool {
        self.records.len() >= limits.max_records || self.bytes >= limits.max_bytes
    }

    /// When the batch must be written at the latest.
    pub fn deadline(&self, limits: &BatchLimits) -> Option<Instant> {
        self.opened.map(|t| t + limits.linger)
    }

    /// Takes the records out, leaving an empty batch.
    pub fn take(&mut self) -> Vec<Record> {
        self.bytes = 0;
        self.opened = None;
        std::mem::take(&mut self.records)
    }
}

impl Batch {
    /// Keeps only the records for which `keep` holds.
    pub fn retain(&mut self, keep: impl Fn(&Record) -> bool) {
        self.records.retain(|r| keep(r));
        self.bytes = self.records.iter().map(Record::size_hint).sum();
        if self.records.is_empty() {
            self.opened = None;
        }
    }
}
