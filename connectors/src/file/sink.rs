//! The file sink: appends each record as one line to a file.
//!
//! With `format=json` (the default) a line is the value as JSON (a tombstone is `null`);
//! with `format=text` a string value is written as is. `include.metadata=true` wraps each
//! line as `{"topic", "partition", "offset", "timestamp", "key", "value"}`.
//!
//! A batch is written with one `write` call and acknowledged once the bytes are in the
//! operating system's hands, which survives a crash of the process; `flush`, called before
//! each offset commit, also syncs them to disk. A write that fails part way (a full disk)
//! is taken back by truncating the file to its length before the batch, so the retry
//! leaves neither a torn line nor a second copy of the lines that did get written.
//!
//! The path must be a regular file (created if missing) or a character device such as
//! `/dev/null`; a FIFO, whose open would wait for a reader, is a config error.

use std::fs::{File, OpenOptions};
use std::io::Write;

use async_trait::async_trait;
use sluice_core::config::{Check, ConfigDef, ConfigKey, ConfigType, Settings};
use sluice_core::connector::{ConnectorKind, ConnectorPlugin, SinkTask, WriteOutcome};
use sluice_core::{json, Error, Map, Record, Result, Value};

use super::not_a_file;

/// The file sink plugin.
pub struct FileSinkPlugin;

impl ConnectorPlugin for FileSinkPlugin {
    fn class(&self) -> &'static str {
        "org.apache.kafka.connect.file.FileStreamSinkConnector"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["file-sink", "FileStreamSink"]
    }

    fn kind(&self) -> ConnectorKind {
        ConnectorKind::Sink
    }

    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .key(
                ConfigKey::required("file", ConfigType::String, "Path of the file to append to.")
                    .check(Check::NonEmpty),
            )
            .key(
                ConfigKey::optional(
                    "format",
                    ConfigType::String,
                    "json",
                    "json: each value as JSON; text: string values as they are.",
                )
                .check(Check::OneOf(&["json", "text"])),
            )
            .key(ConfigKey::optional(
                "include.metadata",
                ConfigType::Boolean,
                "false",
                "Write topic, partition, offset, timestamp and key beside the value.",
            ))
    }

    fn sink_task(&self, settings: &Settings) -> Result<Box<dyn SinkTask>> {
        let def = self.config_def();
        let config = def.view(settings, "");
        let path = config.string("file")?;
        check_target(&path)?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| Error::config(format!("file {path}: {e}")))?;
        Ok(Box::new(FileSink {
            file,
            text: config.string("format")? == "text",
            include_metadata: config.boolean("include.metadata")?,
            buffer: Vec::with_capacity(64 * 1024),
        }))
    }
}

/// Refuses a path that exists and is neither a regular file nor a character device.
fn check_target(path: &str) -> Result<()> {
    use std::os::unix::fs::FileTypeExt;
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() && !meta.file_type().is_char_device() => {
            Err(not_a_file(path, &meta))
        }
        // Missing: the open creates it, or names what is wrong.
        _ => Ok(()),
    }
}

/// Appends `bytes` in full or not at all: after a failure part way, the file is cut back
/// to its length before. Devices have no length and are written as they are.
fn append(file: &mut File, bytes: &[u8]) -> std::io::Result<()> {
    let before = file.metadata()?;
    let Err(error) = file.write_all(bytes) else {
        return Ok(());
    };
    if before.is_file() {
        if let Err(e) = file.set_len(before.len()) {
            tracing::error!(error = %e, "could not take back a partly written batch");
        }
    }
    Err(error)
}

/// A running file sink task.
pub struct FileSink {
    file: File,
    text: bool,
    include_metadata: bool,
    buffer: Vec<u8>,
}

impl FileSink {
    fn encode(&mut self, record: &Record) -> Result<()> {
        if self.include_metadata {
            let mut line = Map::default();
            line.insert("topic".into(), Value::from(&*record.origin.tp.topic));
            line.insert("partition".into(), Value::Int(record.partition.into()));
            line.insert("offset".into(), Value::Int(record.offset));
            line.insert(
                "timestamp".into(),
                record.timestamp.map_or(Value::Null, Value::Int),
            );
            line.insert("key".into(), record.key.clone());
            line.insert("value".into(), record.value.clone());
            json::write_value(&mut self.buffer, &Value::Map(line))?;
        } else {
            match (&record.value, self.text) {
                (Value::String(s), true) => self.buffer.extend_from_slice(s.as_bytes()),
                (value, _) => json::write_value(&mut self.buffer, value)?,
            }
        }
        self.buffer.push(b'\n');
        Ok(())
    }
}

#[async_trait]
impl SinkTask for FileSink {
    /// Lines hold the key and value (and with `include.metadata` the coordinates), never
    /// the headers.
    fn reads_headers(&self) -> bool {
        false
    }

    async fn write(&mut self, batch: &[Record]) -> Result<WriteOutcome> {
        self.buffer.clear();
        let mut outcome = WriteOutcome::all_written();
        for (index, record) in batch.iter().enumerate() {
            let mark = self.buffer.len();
            if let Err(error) = self.encode(record) {
                self.buffer.truncate(mark);
                outcome
                    .rejected
                    .push(sluice_core::connector::Rejected { index, error });
            }
        }
        // A short local write; blocking here is cheaper than a hop to a blocking thread.
        append(&mut self.file, &self.buffer)
            .map_err(|e| Error::transient(format!("file write: {e}")))?;
        Ok(outcome)
    }

    async fn flush(&mut self) -> Result<()> {
        self.file
            .sync_data()
            .map_err(|e| Error::transient(format!("file sync: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sink_to(path: &str) -> Result<Box<dyn SinkTask>> {
        let mut s = Settings::new();
        s.insert("file".into(), path.into());
        FileSinkPlugin.sink_task(&s)
    }

    #[test]
    fn a_fifo_is_a_config_error_and_a_device_is_fine() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = super::super::make_fifo(dir.path());
        let path = fifo.to_str().unwrap();
        let err = sink_to(path).err().unwrap();
        assert_eq!(err.fault, sluice_core::Fault::Config);
        assert_eq!(err.message, format!("file {path} is a FIFO, not a file"));
        assert!(sink_to("/dev/null").is_ok());
    }
}
