//! Sluice's end-to-end suite: the `sluice` binary and its worker against a real
//! Kafka-compatible broker started by `tests/services.sh`. One test binary with modules,
//! so it links once.

mod cases;
mod crash;
mod failures;
mod quickstart;
mod rest;
mod robustness;
mod sink_offsets;
mod standalone;
mod support;
