//! Sluice's connectors, one folder per external system. This build has the small built-ins:
//! the `file` sink and source (like Kafka Connect's FileStream connectors) and the `datagen`
//! source. The ClickHouse, InfluxDB, PostgreSQL, Redis and HTTP connectors are not written
//! yet.

use std::sync::Arc;

use sluice_core::connector::ConnectorPlugin;

pub mod datagen;
pub mod file;
mod offsets;

/// Every connector in this crate; adding a connector adds one line here.
pub fn connectors() -> Vec<Arc<dyn ConnectorPlugin>> {
    vec![
        Arc::new(file::sink::FileSinkPlugin),
        Arc::new(file::source::FileSourcePlugin),
        Arc::new(datagen::DatagenPlugin),
    ]
}
