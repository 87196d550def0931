//! The file source: reads a file of lines from the start and then follows it as it grows.
//!
//! Its source partition is `{"filename": <path>}` and its offset `{"position": <byte>}`, the
//! byte just after the last line handed to Kafka, as Kafka Connect's FileStreamSource. A line
//! is emitted only once its newline has been written, so a half-written line is never read.
//! If the file shrinks below the stored position (truncated or replaced), reading starts
//! again from the beginning and a warning is logged.
//!
//! With `format=json` each line is parsed as JSON; a line that is not JSON fails the task
//! under `errors.tolerance=none` and is skipped with a warning under `all`.

use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::json;
use sluice_core::config::{Check, ConfigDef, ConfigKey, ConfigType, Settings};
use sluice_core::connector::{ConnectorKind, ConnectorPlugin, SourceContext, SourceTask};
use sluice_core::{json as sjson, Error, Result, SourceRecord, Value};

/// How long a poll waits at the end of the file before returning empty.
const IDLE_WAIT: Duration = Duration::from_millis(100);

/// The file source plugin.
pub struct FileSourcePlugin;

impl ConnectorPlugin for FileSourcePlugin {
    fn class(&self) -> &'static str {
        "org.apache.kafka.connect.file.FileStreamSourceConnector"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["file-source", "FileStreamSource"]
    }

    fn kind(&self) -> ConnectorKind {
        ConnectorKind::Source
    }

    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .key(
                ConfigKey::required("file", ConfigType::String, "Path of the file to read.")
                    .check(Check::NonEmpty),
            )
            .key(
                ConfigKey::required("topic", ConfigType::String, "Topic to write to.")
                    .check(Check::NonEmpty),
            )
            .key(
                ConfigKey::optional(
                    "batch.size",
                    ConfigType::Int,
                    "2000",
                    "Most lines per poll.",
                )
                .check(Check::Range(1, 1_000_000)),
            )
            .key(
                ConfigKey::optional(
                    "format",
                    ConfigType::String,
                    "text",
                    "text: each line is a string; json: each line is parsed as JSON.",
                )
                .check(Check::OneOf(&["text", "json"])),
            )
    }

    fn task_configs(&self, settings: &Settings, _max_tasks: usize) -> Vec<Settings> {
        // One file is one stream of lines: it cannot be split between tasks.
        vec![settings.clone()]
    }

    fn source_task(&self, settings: &Settings) -> Result<Box<dyn SourceTask>> {
        let def = self.config_def();
        let config = def.view(settings, "");
        let tolerance = settings
            .get("errors.tolerance")
            .map(String::as_str)
            .unwrap_or("none");
        Ok(Box::new(FileSource {
            path: config.string("file")?,
            topic: config.string("topic")?,
            batch_size: config.long("batch.size")? as usize,
            json: config.string("format")? == "json",
            skip_bad_lines: tolerance == "all",
            position: 0,
            reader: None,
        }))
    }
}

/// A running file source task.
pub struct FileSource {
    path: String,
    topic: String,
    batch_size: usize,
    json: bool,
    skip_bad_lines: bool,
    /// Byte position after the last complete line read.
    position: u64,
    reader: Option<BufReader<File>>,
}

impl FileSource {
    fn partition(&self) -> serde_json::Value {
        json!({ "filename": self.path })
    }

    /// Opens the file at the current position, or returns `None` while it does not exist.
    fn reader(&mut self) -> Result<Option<&mut BufReader<File>>> {
        if self.reader.is_none() {
            let mut file = match File::open(&self.path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(Error::transient(format!("file {}: {e}", self.path))),
            };
            let len = file.metadata().map(|m| m.len()).unwrap_or(0);
            if len < self.position {
                let (file, position) = (&self.path, self.position);
                tracing::warn!(%file, position, len, "file shrank; reading from the start");
                self.position = 0;
            }
            file.seek(SeekFrom::Start(self.position))
                .map_err(|e| Error::transient(format!("file {}: {e}", self.path)))?;
            self.reader = Some(BufReader::with_capacity(256 * 1024, file));
        }
        Ok(self.reader.as_mut())
    }

    /// Reads up to `batch_size` complete lines.
    fn read_lines(&mut self) -> Result<Vec<(Vec<u8>, u64)>> {
        let batch_size = self.batch_size;
        let start = self.position;
        let Some(reader) = self.reader()? else {
            return Ok(Vec::new());
        };
        let mut lines = Vec::new();
        let mut position = start;
        while lines.len() < batch_size {
            let mut line = Vec::new();
            let n = reader
                .read_until(b'\n', &mut line)
                .map_err(|e| Error::transient(format!("file read: {e}")))?;
            if n == 0 || line.last() != Some(&b'\n') {
                // End of file, or a line still being written: read it again next time.
                reader
                    .seek(SeekFrom::Start(position))
                    .map_err(|e| Error::transient(format!("file seek: {e}")))?;
                break;
            }
            position += n as u64;
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            lines.push((line, position));
        }
        self.position = position;
        Ok(lines)
    }

    fn to_record(&self, line: &[u8], position: u64) -> Result<Option<SourceRecord>> {
        let value = if self.json {
            match sjson::parse(line) {
                Ok(v) => v,
                Err(e) if self.skip_bad_lines => {
                    let file = &self.path;
                    tracing::warn!(%file, position, error = %e, "skipping a line that is not JSON");
                    return Ok(None);
                }
                Err(e) => {
                    return Err(e.context(format!("{} line ending at byte {position}", self.path)))
                }
            }
        } else {
            Value::String(String::from_utf8_lossy(line).into_owned())
        };
        Ok(Some(SourceRecord {
            source_partition: self.partition(),
            source_offset: json!({ "position": position }),
            topic: self.topic.clone(),
            partition: None,
            key_schema: None,
            key: Value::Null,
            value_schema: None,
            value,
            timestamp: None,
            headers: Vec::new(),
        }))
    }
}

#[async_trait]
impl SourceTask for FileSource {
    async fn start(&mut self, context: &SourceContext) -> Result<()> {
        let stored = context
            .offset(&self.partition())
            .and_then(|o| o.get("position"))
            .and_then(|p| p.as_u64());
        self.position = stored.unwrap_or(0);
        tracing::info!(file = %self.path, position = self.position, "file source starting");
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        let lines = self.read_lines()?;
        if lines.is_empty() {
            tokio::time::sleep(IDLE_WAIT).await;
            return Ok(Vec::new());
        }
        let mut records = Vec::with_capacity(lines.len());
        for (line, position) in &lines {
            records.extend(self.to_record(line, *position)?);
        }
        Ok(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn task(path: &str, format: &str) -> Box<dyn SourceTask> {
        let mut s = Settings::new();
        s.insert("file".into(), path.into());
        s.insert("topic".into(), "t".into());
        s.insert("format".into(), format.into());
        FileSourcePlugin.source_task(&s).unwrap()
    }

    #[tokio::test]
    async fn reads_complete_lines_and_resumes_from_the_position() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        let mut f = File::create(&path).unwrap();
        f.write_all(b"one\ntwo\nthr").unwrap();
        let mut t = task(path.to_str().unwrap(), "text");
        t.start(&SourceContext::default()).await.unwrap();
        let got = t.poll().await.unwrap();
        let values: Vec<_> = got.iter().map(|r| r.value.clone()).collect();
        assert_eq!(values, vec![Value::from("one"), Value::from("two")]);
        assert_eq!(got[1].source_offset, json!({"position": 8}));
        f.write_all(b"ee\n").unwrap();
        let got = t.poll().await.unwrap();
        assert_eq!(got[0].value, Value::from("three"));

        let mut context = SourceContext::default();
        let partition = json!({"filename": path.to_str().unwrap()});
        context
            .offsets
            .insert(partition.to_string(), json!({"position": 4}));
        let mut again = task(path.to_str().unwrap(), "text");
        again.start(&context).await.unwrap();
        let got = again.poll().await.unwrap();
        assert_eq!(got[0].value, Value::from("two"));
    }

    #[tokio::test]
    async fn a_bad_json_line_fails_naming_its_position() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.json");
        std::fs::write(&path, b"{\"a\":1}\nnot json\n").unwrap();
        let mut t = task(path.to_str().unwrap(), "json");
        t.start(&SourceContext::default()).await.unwrap();
        let err = t.poll().await.unwrap_err();
        assert!(
            err.message.contains("line ending at byte 17"),
            "{}",
            err.message
        );
    }
}
