//! Records on their way in: copied out of librdkafka's buffers, then decoded by the
//! converters (on the decode threads, see [`super::decode_threads`]).

use std::sync::Arc;

use bytes::Bytes;
use rdkafka::message::{BorrowedMessage, Message};
use sluice_core::converter::Converter;
use sluice_core::{Error, Header, Origin, Record, Result, TopicPartition};

use super::FastMap;
use crate::errors::Stage;

/// A record as read, before decoding.
pub(super) struct Raw {
    pub(super) origin: Arc<Origin>,
    pub(super) timestamp: Option<i64>,
    pub(super) headers: Vec<Header>,
}

/// A record that failed before the sink (the converters could not read it, or a
/// transform failed), with what the dead-letter topic needs.
pub(super) struct Failed {
    pub(super) stage: Stage,
    pub(super) origin: Arc<Origin>,
    pub(super) headers: Vec<Header>,
    pub(super) error: Error,
}

/// A record after the converters: decoded, or why not.
pub(super) type Decoded = std::result::Result<Record, Failed>;

pub(super) fn origin_of(d: &Decoded) -> &Arc<Origin> {
    match d {
        Ok(r) => &r.origin,
        Err(f) => &f.origin,
    }
}

/// A task's key and value converters. They are stateless, so chunks of records are
/// decoded on the decode threads while the loop reads the next chunk.
pub(super) struct Converters {
    pub(super) key: Arc<dyn Converter>,
    pub(super) value: Arc<dyn Converter>,
}

impl Converters {
    pub(super) fn decode(&self, raw: Raw) -> Decoded {
        let o = &raw.origin;
        let topic = &o.tp.topic;
        let key = match self.key.to_data(topic, o.raw_key()) {
            Ok(k) => k,
            Err(e) => return Err(raw.failed(Stage::KeyConverter, e)),
        };
        let value = match self.value.to_data(topic, o.raw_value()) {
            Ok(v) => v,
            Err(e) => return Err(raw.failed(Stage::ValueConverter, e)),
        };
        Ok(Record {
            topic: o.tp.topic.clone(),
            partition: o.tp.partition,
            offset: o.offset,
            timestamp: raw.timestamp,
            key_schema: key.schema,
            key: key.value,
            value_schema: value.schema,
            value: value.value,
            headers: raw.headers,
            origin: raw.origin,
        })
    }

    pub(super) fn decode_chunk(&self, raws: Vec<Raw>) -> Vec<Decoded> {
        raws.into_iter().map(|r| self.decode(r)).collect()
    }
}

impl Raw {
    pub(super) fn failed(self, stage: Stage, error: Error) -> Failed {
        Failed {
            stage,
            origin: self.origin,
            headers: self.headers,
            error,
        }
    }
}

/// Topic names, shared: every record of a topic points at one name.
#[derive(Default)]
struct TopicNames {
    /// The name of the previous record's topic; most records repeat it.
    last: Option<Arc<str>>,
    all: FastMap<String, Arc<str>>,
}

impl TopicNames {
    fn intern(&mut self, name: &str) -> Arc<str> {
        if let Some(last) = self.last.as_ref().filter(|l| &***l == name) {
            return last.clone();
        }
        let shared = match self.all.get(name) {
            Some(t) => t.clone(),
            None => {
                let t: Arc<str> = Arc::from(name);
                self.all.insert(name.to_owned(), t.clone());
                t
            }
        };
        self.last = Some(shared.clone());
        shared
    }
}

/// How messages are copied in.
pub(super) struct Intake {
    topics: TopicNames,
    /// Whether headers are copied; when nothing downstream reads them, records get none.
    headers: bool,
}

impl Intake {
    pub(super) fn new(headers: bool) -> Self {
        Self {
            topics: TopicNames::default(),
            headers,
        }
    }
}

/// Copies a consumed message into an owned record-to-be; see [`usable`] for errors.
pub(super) fn to_raw(
    message: rdkafka::error::KafkaResult<BorrowedMessage<'_>>,
    intake: &mut Intake,
) -> Result<Option<Raw>> {
    Ok(usable(message)?.map(|m| {
        let topic = intake.topics.intern(m.topic());
        copy_message(&m, topic, intake.headers)
    }))
}

/// The message, if the poll returned one. A consumer error is logged and skipped
/// (librdkafka recovers from it: a topic not created yet, a broker down) unless
/// librdkafka calls it fatal.
pub(super) fn usable(
    message: rdkafka::error::KafkaResult<BorrowedMessage<'_>>,
) -> Result<Option<BorrowedMessage<'_>>> {
    match message {
        Ok(m) => Ok(Some(m)),
        Err(e @ rdkafka::error::KafkaError::MessageConsumptionFatal(_)) => {
            Err(Error::fatal(format!("consumer: {e}")))
        }
        Err(e) => {
            tracing::warn!(error = %e, "consumer error; continuing");
            Ok(None)
        }
    }
}

/// Copies a message's coordinates, bytes and (`with_headers`) headers out of librdkafka's
/// buffers.
pub(super) fn copy_message(m: &BorrowedMessage<'_>, topic: Arc<str>, with_headers: bool) -> Raw {
    let headers = if with_headers && m.headers().is_some() {
        read_headers(m)
    } else {
        Vec::new()
    };
    let tp = TopicPartition {
        topic,
        partition: m.partition(),
    };
    let origin = Origin::new(tp, m.offset(), m.key(), m.payload());
    Raw {
        origin: Arc::new(origin),
        timestamp: m.timestamp().to_millis(),
        headers,
    }
}

/// Copies a message's headers. Header keys are read through librdkafka directly, because
/// rdkafka's safe accessor panics on a key that is not UTF-8; here such a key is kept
/// with replacement characters instead.
pub(super) fn read_headers(m: &BorrowedMessage<'_>) -> Vec<Header> {
    use rdkafka::bindings as rd;
    let mut out = Vec::new();
    let mut headers: *mut rd::rd_kafka_headers_t = std::ptr::null_mut();
    // SAFETY: the message pointer is valid while `m` borrows it; librdkafka keeps the
    // headers owned by the message and only lends us pointers into them, which we copy
    // before `m` goes away.
    unsafe {
        let ok = rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR;
        if rd::rd_kafka_message_headers(m.ptr(), &mut headers) != ok {
            return out;
        }
        for idx in 0.. {
            let (mut name, mut value, mut size) = (std::ptr::null(), std::ptr::null(), 0usize);
            let err = rd::rd_kafka_header_get_all(headers, idx, &mut name, &mut value, &mut size);
            if err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR || name.is_null() {
                break;
            }
            let key = std::ffi::CStr::from_ptr(name)
                .to_string_lossy()
                .into_owned();
            let value = (!value.is_null())
                .then(|| std::slice::from_raw_parts(value.cast::<u8>(), size))
                .map(Bytes::copy_from_slice);
            out.push(Header { key, value });
        }
    }
    out
}
