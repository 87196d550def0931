//! The `sluice` binary.
//!
//! One [`Command`] enum lists the subcommands and [`dispatch`] maps each variant to one
//! function, so a new subcommand (standalone, worker, quickstart, bench) is a new variant,
//! a new args struct and a new `run_*` function, without touching the others.
//!
//! Exit codes: 0 on success (including a shutdown requested by SIGTERM or Ctrl-C), 1 when
//! a subcommand fails, 2 for usage errors (reported by clap).

// The modules live in the library crate (src/lib.rs) so tests drive the same code.
#[cfg(feature = "embedded-broker")]
use sluice::broker;

use std::io::IsTerminal;

/// mimalloc instead of the system allocator: decoding records allocates many small
/// strings and maps, and glibc's malloc and free were a fifth of the sink loop's time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// Log filter used when `RUST_LOG` is unset. tansu logs several lines per Kafka request
/// at info (thousands a second under load), so it only gets warnings and above.
const DEFAULT_LOG_FILTER: &str = "info,tansu=warn";

/// Command line of the `sluice` binary.
#[derive(Debug, Parser)]
#[command(
    name = "sluice",
    version,
    about = "Sluice: a connector runtime for Apache Kafka"
)]
struct Cli {
    /// What to run.
    #[command(subcommand)]
    command: Command,
}

/// The subcommands; each variant carries its own argument struct.
#[derive(Debug, Subcommand)]
enum Command {
    /// Run an in-memory Kafka-compatible broker (tansu) until SIGTERM or Ctrl-C.
    ///
    /// Nothing is persisted: topics, offsets and consumer groups are lost on exit.
    /// Meant for trying Sluice out and for the test suite, not for production.
    #[cfg(feature = "embedded-broker")]
    Broker(BrokerArgs),
    /// Run a worker with connectors from files, like Kafka Connect's connect-standalone.
    Standalone(StandaloneArgs),
    /// Run a worker whose connectors are managed over the REST API.
    Worker(WorkerArgs),
    /// Start a broker, a datagen source and a file sink, and show records flowing.
    Quickstart(sluice::quickstart::QuickstartArgs),
    /// Create topics (an existing one is left as it is), like `kafka-topics.sh --create`.
    CreateTopic(CreateTopicArgs),
    /// Measure the sink loop against a bare rdkafka consumer.
    Bench(sluice::bench::BenchArgs),
    /// One drain of the benchmark, run by `bench` in a child process.
    #[command(hide = true)]
    BenchDrain(sluice::bench::DrainArgs),
}

/// Arguments of `sluice standalone`.
#[derive(Debug, clap::Args)]
struct StandaloneArgs {
    /// The worker's `.properties` file.
    worker_config: std::path::PathBuf,
    /// Connector files: JSON (`{"name", "config"}`) or `.properties`.
    connectors: Vec<std::path::PathBuf>,
}

/// Arguments of `sluice worker`.
#[derive(Debug, clap::Args)]
struct WorkerArgs {
    /// The worker's `.properties` file.
    #[arg(long)]
    config: std::path::PathBuf,
}

/// Arguments of `sluice create-topic`.
#[derive(Debug, clap::Args)]
struct CreateTopicArgs {
    /// The topics to create.
    #[arg(required = true)]
    topics: Vec<String>,
    /// Partitions of each topic.
    #[arg(long, default_value_t = 1)]
    partitions: i32,
    /// Replicas of each partition.
    #[arg(long, default_value_t = 1)]
    replication_factor: i32,
    /// Kafka to create them in.
    #[arg(long, default_value = "127.0.0.1:9092")]
    bootstrap_servers: String,
}

/// Arguments of `sluice broker`.
#[cfg(feature = "embedded-broker")]
#[derive(Debug, clap::Args)]
struct BrokerArgs {
    /// Address to listen on, as IP:port. With 0.0.0.0 or [::] the broker listens on all
    /// interfaces and advertises loopback.
    #[arg(long, env = "SLUICE_BROKER_LISTEN", default_value = "127.0.0.1:9092")]
    listen: std::net::SocketAddr,
}

#[tokio::main]
async fn main() -> ExitCode {
    // Parse before installing logging so --help and usage errors print cleanly.
    let cli = Cli::parse();
    init_tracing();
    match dispatch(cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the chosen subcommand; the one place that knows all of them.
async fn dispatch(command: Command) -> Result<(), String> {
    match command {
        #[cfg(feature = "embedded-broker")]
        Command::Broker(args) => run_broker(args).await,
        Command::Standalone(args) => {
            sluice::modes::standalone(&args.worker_config, &args.connectors, shutdown_signal()?)
                .await
        }
        Command::Worker(args) => sluice::modes::worker(&args.config, shutdown_signal()?).await,
        Command::Quickstart(args) => sluice::quickstart::run(args, shutdown_signal()?).await,
        Command::CreateTopic(args) => run_create_topic(args).await,
        Command::Bench(args) => sluice::bench::run(args).await,
        Command::BenchDrain(args) => sluice::bench::drain(args).await,
    }
}

/// `sluice create-topic`: creates each topic, saying what it did on stdout.
async fn run_create_topic(args: CreateTopicArgs) -> Result<(), String> {
    for topic in &args.topics {
        let layout = (args.partitions, args.replication_factor);
        let created =
            sluice::quickstart::create_topic(&args.bootstrap_servers, topic, layout).await?;
        match created {
            true => println!(
                "created topic {topic} with {} partition(s)",
                args.partitions
            ),
            false => println!("topic {topic} exists; left as it is"),
        }
    }
    Ok(())
}

/// `sluice broker`: serve the embedded broker until asked to stop.
#[cfg(feature = "embedded-broker")]
async fn run_broker(args: BrokerArgs) -> Result<(), String> {
    let shutdown = shutdown_signal()?;
    broker::run(args.listen, shutdown).await
}

/// Logs go to stderr (stdout stays free for command output), filtered by `RUST_LOG`,
/// coloured only when stderr is a terminal so log files stay free of escape codes.
///
/// An invalid `RUST_LOG` is reported and replaced by the default rather than aborting:
/// a typo in a log filter should not keep a worker from starting.
fn init_tracing() {
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => match EnvFilter::try_new(&spec) {
            Ok(filter) => filter,
            Err(e) => {
                let default = DEFAULT_LOG_FILTER;
                eprintln!("sluice: ignoring invalid RUST_LOG {spec:?} ({e}); using {default:?}");
                EnvFilter::new(DEFAULT_LOG_FILTER)
            }
        },
        _ => EnvFilter::new(DEFAULT_LOG_FILTER),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// A future that completes on the first SIGTERM or SIGINT (Ctrl-C).
///
/// The handlers are installed before this returns, not when the future is first polled,
/// so a signal that arrives while a subcommand is still starting up is not lost (and
/// does not kill the process with the default action).
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, String> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate())
        .map_err(|e| format!("cannot install SIGTERM handler: {e}"))?;
    let mut interrupt = signal(SignalKind::interrupt())
        .map_err(|e| format!("cannot install SIGINT handler: {e}"))?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => tracing::info!("SIGTERM received, shutting down"),
            _ = interrupt.recv() => tracing::info!("SIGINT received, shutting down"),
        }
    })
}
