//! The plugin registry of this build: every connector, transform and predicate.

use sluice_core::plugins::Plugins;

/// Every plugin compiled into this binary.
pub fn all() -> Plugins {
    Plugins {
        connectors: sluice_connectors::connectors(),
        transforms: sluice_transforms::transforms(),
        predicates: sluice_transforms::predicates(),
    }
}
