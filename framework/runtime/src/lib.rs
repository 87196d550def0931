//! Sluice's worker runtime: the sink and source task loops, offset tracking, error handling
//! with dead-letter topics, the stores for configs, offsets and statuses, the worker that
//! supervises connectors, the Kafka Connect compatible REST API and Prometheus metrics.

pub mod errors;
pub mod kafka;
pub mod metrics;
pub mod offsets;
pub mod pipeline;
pub mod rest;
pub mod sink;
pub mod source;
pub mod status;
pub mod stores;
pub mod task;
pub mod worker;
pub mod worker_config;
