//! The one error type of Sluice's core, with the fault domain that decides what the runtime
//! does with it.
//!
//! The runtime never inspects error messages to decide what to do: it looks at [`Fault`].
//! A data fault is about one record and follows `errors.tolerance`; a transient fault is
//! retried with backoff while the consumer is paused; a config fault is the user's to fix;
//! a fatal fault stops the task.

use std::fmt;

/// Who is at fault, and therefore whether a retry can help.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The connector or transform configuration is wrong; retrying cannot help.
    Config,
    /// One record cannot be decoded, transformed or accepted by the target.
    Data,
    /// The external system is unavailable or overloaded; the same call may succeed later.
    Transient,
    /// Anything else that stops the task: a bug, a broken invariant, a lost connection that
    /// the client library will not recover.
    Fatal,
}

impl Fault {
    /// The class of the exception Kafka Connect raises for this kind of failure, for the
    /// `__connect.errors.exception.class.name` header of dead-letter records: tools that
    /// read dead-letter topics match on it.
    pub fn kafka_connect_class(self) -> &'static str {
        match self {
            Fault::Config => "org.apache.kafka.common.config.ConfigException",
            Fault::Data => "org.apache.kafka.connect.errors.DataException",
            Fault::Transient => "org.apache.kafka.connect.errors.RetriableException",
            Fault::Fatal => "org.apache.kafka.connect.errors.ConnectException",
        }
    }

    /// The lower-case name used in logs and status traces.
    pub fn as_str(self) -> &'static str {
        match self {
            Fault::Config => "config",
            Fault::Data => "data",
            Fault::Transient => "transient",
            Fault::Fatal => "fatal",
        }
    }
}

/// An error with its fault domain and a message that names what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// What kind of failure this is.
    pub fault: Fault,
    /// A readable message naming the key, record or call at fault.
    pub message: String,
}

impl Error {
    /// A configuration error.
    pub fn config(message: impl Into<String>) -> Self {
        Self {
            fault: Fault::Config,
            message: message.into(),
        }
    }

    /// A per-record data error.
    pub fn data(message: impl Into<String>) -> Self {
        Self {
            fault: Fault::Data,
            message: message.into(),
        }
    }

    /// A failure that a later retry may fix.
    pub fn transient(message: impl Into<String>) -> Self {
        Self {
            fault: Fault::Transient,
            message: message.into(),
        }
    }

    /// A failure that stops the task.
    pub fn fatal(message: impl Into<String>) -> Self {
        Self {
            fault: Fault::Fatal,
            message: message.into(),
        }
    }

    /// Whether retrying the same call can help.
    pub fn is_retriable(&self) -> bool {
        self.fault == Fault::Transient
    }

    /// Prefixes the message with context, keeping the fault.
    pub fn context(self, context: impl fmt::Display) -> Self {
        Self {
            fault: self.fault,
            message: format!("{context}: {}", self.message),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} error: {}", self.fault.as_str(), self.message)
    }
}

impl std::error::Error for Error {}

/// Result with Sluice's core error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
