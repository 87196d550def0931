//! Sluice's single-message transforms and predicates, one file each.
//!
//! This crate holds `Filter` and Kafka Connect's three predicates; the other SMTs
//! (InsertField, Cast, ReplaceField, Flatten, TimestampConverter, ...) are not written yet,
//! and a connector naming them is rejected at validation with "Unknown transform type".

use std::sync::Arc;

use sluice_core::transform::{PredicatePlugin, TransformPlugin};

pub mod condition;
pub mod filter;
pub mod predicates;

/// Every transform in this crate.
pub fn transforms() -> Vec<Arc<dyn TransformPlugin>> {
    vec![Arc::new(filter::FilterPlugin)]
}

/// Every predicate in this crate.
pub fn predicates() -> Vec<Arc<dyn PredicatePlugin>> {
    vec![
        Arc::new(predicates::TopicNameMatchesPlugin),
        Arc::new(predicates::HasHeaderKeyPlugin),
        Arc::new(predicates::RecordIsTombstonePlugin),
    ]
}
