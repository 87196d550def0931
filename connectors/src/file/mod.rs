//! Files of lines: the sink appends one JSON line per record, the source reads and tails a
//! file of text or JSON lines. Both are meant for trying Sluice out and for tests, like
//! Kafka Connect's FileStream connectors.

pub mod sink;
pub mod source;
