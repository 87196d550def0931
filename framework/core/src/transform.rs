//! The single-message transform trait, predicates, and the chain that applies them.
//!
//! A transform takes one record and returns it changed, or `None` to drop it (its offset is
//! still committed: a filtered record counts as processed). A stateful transform may hold
//! records back; it then reports the lowest offset it holds per partition, and the runtime
//! never commits past it until the transform releases or checkpoints that state.

use std::sync::Arc;

use crate::config::{ConfigDef, Settings};
use crate::error::{Error, Result};
use crate::record::{Record, TopicPartition};

/// One transform instance in a connector's chain.
pub trait Transform: Send {
    /// Applies the transform; `Ok(None)` drops the record.
    fn apply(&mut self, record: Record) -> Result<Option<Record>>;
    /// The lowest original offset of `tp` that this transform holds and has not made
    /// durable. Stateless transforms hold nothing.
    fn held_from(&self, _tp: &TopicPartition) -> Option<i64> {
        None
    }
    /// Called on a timer; returns records that the transform releases now.
    fn on_tick(&mut self, _now_ms: i64) -> Result<Vec<Record>> {
        Ok(Vec::new())
    }
}

/// A factory for a transform type.
pub trait TransformPlugin: Send + Sync {
    /// Kafka Connect's class name, e.g. `org.apache.kafka.connect.transforms.Filter`.
    fn class(&self) -> &'static str;
    /// Short names accepted in `transforms.<alias>.type`.
    fn aliases(&self) -> &'static [&'static str];
    /// The keys it accepts (without the `transforms.<alias>.` prefix).
    fn config_def(&self) -> ConfigDef;
    /// Builds an instance from its own settings (prefix removed).
    fn build(&self, settings: &Settings) -> Result<Box<dyn Transform>>;
}

/// A condition on a record, used to apply a transform only to some records.
pub trait Predicate: Send + Sync {
    /// Whether the record matches.
    fn test(&self, record: &Record) -> bool;
}

/// A factory for a predicate type.
pub trait PredicatePlugin: Send + Sync {
    /// Kafka Connect's class name.
    fn class(&self) -> &'static str;
    /// Short names accepted in `predicates.<alias>.type`.
    fn aliases(&self) -> &'static [&'static str];
    /// The keys it accepts (without the `predicates.<alias>.` prefix).
    fn config_def(&self) -> ConfigDef;
    /// Builds an instance from its own settings (prefix removed).
    fn build(&self, settings: &Settings) -> Result<Arc<dyn Predicate>>;
}

/// One step of a chain: a transform and the predicate that gates it.
pub struct Step {
    /// The alias from `transforms`.
    pub alias: String,
    /// The transform.
    pub transform: Box<dyn Transform>,
    /// The predicate and whether it is negated.
    pub predicate: Option<(Arc<dyn Predicate>, bool)>,
}

/// A connector's transforms, applied in the order of its `transforms` list.
#[derive(Default)]
pub struct Chain {
    /// The steps in order.
    pub steps: Vec<Step>,
}

impl Chain {
    /// Whether the chain has no steps.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Runs a record through every step. An error names the transform's alias.
    pub fn apply(&mut self, mut record: Record) -> Result<Option<Record>> {
        for step in &mut self.steps {
            let gated = step
                .predicate
                .as_ref()
                .is_some_and(|(p, negate)| p.test(&record) == *negate);
            if gated {
                continue;
            }
            match step.transform.apply(record) {
                Ok(Some(next)) => record = next,
                Ok(None) => return Ok(None),
                Err(e) => return Err(e.context(format!("transform {}", step.alias))),
            }
        }
        Ok(Some(record))
    }

    /// The lowest offset of `tp` held by any step.
    pub fn held_from(&self, tp: &TopicPartition) -> Option<i64> {
        self.steps
            .iter()
            .filter_map(|s| s.transform.held_from(tp))
            .min()
    }
}

/// Shorthand for a transform error that names the record.
pub fn record_error(record: &Record, message: impl std::fmt::Display) -> Error {
    Error::data(format!("{}: {message}", record.coordinates()))
}
