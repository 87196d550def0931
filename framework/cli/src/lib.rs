//! The `sluice` binary's library: the run modes, the quickstart, the benchmark and the
//! embedded broker, so that tests drive exactly what the binary runs.

pub mod bench;
#[cfg(feature = "embedded-broker")]
pub mod broker;
pub mod modes;
pub mod plugins;
pub mod quickstart;
