//! An embedded, in-memory, Kafka-compatible broker (tansu).
//!
//! This exists so that `sluice broker`, `sluice quickstart` and the end-to-end tests can
//! run against a real Kafka wire protocol without a JVM or Docker. Everything is held in
//! memory: topics, offsets and consumer groups vanish when the broker stops.
//!
//! Two entry points:
//! - [`run`] serves on the current task until a shutdown future completes; this is what
//!   the `sluice broker` subcommand uses.
//! - [`start`] spawns the broker on the current tokio runtime, waits until it accepts
//!   connections and returns a [`BrokerHandle`]; this is for running the broker beside a
//!   worker in one process (quickstart, tests).
//!
//! We drive tansu with `Broker::serve` rather than `Broker::main`: `main` installs its own
//! SIGINT/SIGTERM handlers (stealing them from the rest of the process) and clears the
//! terminal on exit. We also build it `silent`, which stops tansu printing "ready in" and
//! drawing progress spinners on stdout; its `tracing` events still go to whatever
//! subscriber the binary installed.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tansu_broker::broker::Broker;
use tansu_broker::coordinator::group::administrator::Controller;
use tansu_storage::StorageContainer;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use url::Url;

/// Node id the embedded broker registers as. There is only ever one node, so any fixed
/// value works; clients see it in metadata responses.
const NODE_ID: i32 = 1;

/// Cluster id reported to clients (Kafka clients only display it).
const CLUSTER_ID: &str = "sluice-embedded";

/// tansu's object-store backend in memory (needs tansu's `dynostore` feature).
const STORAGE_URL: &str = "memory://tansu/";

/// How long [`start`] waits for the listener to accept connections. Building an
/// in-memory broker takes milliseconds; the margin is for loaded CI machines.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// How often [`start`] retries its readiness probe.
const READY_POLL: Duration = Duration::from_millis(20);

/// Serves an in-memory broker on `listen` until `shutdown` completes or the broker fails.
///
/// `listen` must have a non-zero port: tansu binds the socket itself and advertises the
/// address in metadata responses, so an OS-chosen port could not be advertised. If the
/// IP is unspecified (`0.0.0.0` or `[::]`) the broker listens on all interfaces but
/// advertises the loopback address of the same family, because clients cannot connect
/// to an unspecified address.
///
/// Returns `Ok(())` after a requested shutdown, and an error message if the address is
/// unusable (e.g. already in use) or the broker stops on its own. On shutdown the serving
/// future is dropped, which closes the listener and aborts open connections; nothing is
/// flushed because nothing is persisted.
pub async fn run<F>(listen: SocketAddr, shutdown: F) -> Result<(), String>
where
    F: Future<Output = ()>,
{
    let advertised = check_listen(listen).await?;
    let listener_url = tcp_url(listen)?;
    let advertised_url = tcp_url(advertised)?;
    let storage_url =
        Url::parse(STORAGE_URL).map_err(|e| format!("bad storage url {STORAGE_URL}: {e}"))?;

    let started = Instant::now();
    // `builder()` lives on the generic type; name the parameters `build()` produces.
    let mut broker = Broker::<Controller<StorageContainer>, StorageContainer>::builder()
        .node_id(NODE_ID)
        .cluster_id(CLUSTER_ID)
        .incarnation_id(uuid::Uuid::new_v4())
        .advertised_listener(advertised_url)
        .storage(storage_url)
        .listener(listener_url)
        .silent(true)
        .build()
        .await
        .map_err(|e| format!("cannot build embedded broker: {e}"))?;

    tracing::info!(%listen, %advertised, "embedded broker (in memory) starting");

    tokio::select! {
        served = broker.serve(started) => match served {
            Ok(()) => Err("embedded broker stopped unexpectedly".to_string()),
            Err(e) => Err(format!("embedded broker on {listen} failed: {e}")),
        },
        () = shutdown => {
            tracing::info!(%listen, "embedded broker stopping");
            Ok(())
        }
    }
}

/// A broker running on its own runtime, returned by [`start`].
///
/// Dropping the handle stops the broker (its shutdown channel closes), so keep it alive
/// as long as clients need the broker. Call [`BrokerHandle::shutdown`] to stop it and
/// learn whether it failed while running.
#[derive(Debug)]
pub struct BrokerHandle {
    advertised: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), String>>,
}

impl BrokerHandle {
    /// The address clients should connect to (the advertised listener).
    pub fn addr(&self) -> SocketAddr {
        self.advertised
    }

    /// The address as a `bootstrap.servers` value for Kafka clients.
    pub fn bootstrap_servers(&self) -> String {
        self.advertised.to_string()
    }

    /// Whether the broker task is still running; `false` means it failed (or panicked)
    /// and [`BrokerHandle::shutdown`] will return the reason.
    pub fn is_running(&self) -> bool {
        !self.task.is_finished()
    }

    /// Stops the broker and waits for it to finish. Returns the broker's error if it had
    /// already failed on its own.
    pub async fn shutdown(mut self) -> Result<(), String> {
        if let Some(stop) = self.stop.take() {
            // The receiver is gone only if the task already ended; the join below
            // reports why.
            let _ = stop.send(());
        }
        join(&mut self.task).await
    }
}

/// Starts an in-memory broker on a runtime of its own and waits until it accepts
/// TCP connections on its advertised address.
///
/// Same address rules as [`run`]. Fails if the address cannot be used, the broker stops
/// during start-up, or it is not accepting connections within 30 seconds. Must be called
/// from within a tokio runtime.
pub async fn start(listen: SocketAddr) -> Result<BrokerHandle, String> {
    // Probe before spawning: otherwise, with the port held by another process, the
    // readiness probe below could connect to that process before our task has failed.
    let advertised = check_listen(listen).await?;
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let mut task = spawn_on_own_runtime(listen, async move {
        // Err means the handle was dropped: treat it as a shutdown request too.
        let _ = stop_rx.await;
    })?;

    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        // Check for an early exit first, so a port held by another process is reported
        // as our failure instead of being mistaken for our broker answering.
        if task.is_finished() {
            return Err(join(&mut task)
                .await
                .err()
                .unwrap_or_else(|| "embedded broker stopped during start-up".to_string()));
        }
        if TcpStream::connect(advertised).await.is_ok() {
            return Ok(BrokerHandle {
                advertised,
                stop: Some(stop_tx),
                task,
            });
        }
        if Instant::now() >= deadline {
            task.abort();
            return Err(format!(
                "embedded broker on {listen} not accepting connections after {}s",
                READY_TIMEOUT.as_secs()
            ));
        }
        tokio::time::sleep(READY_POLL).await;
    }
}

/// Runs the broker on a runtime of its own, in its own threads, and returns a task on the
/// caller's runtime that ends when the broker does.
///
/// The broker must not share worker threads with its clients: a client that blocks a
/// worker thread in a synchronous librdkafka call (an offset commit, say) could starve
/// the very broker task that has to answer it.
fn spawn_on_own_runtime(
    listen: SocketAddr,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<JoinHandle<Result<(), String>>, String> {
    let (done_tx, done_rx) = oneshot::channel::<Result<(), String>>();
    std::thread::Builder::new()
        .name("embedded-broker".into())
        .spawn(move || {
            let result = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("embedded-broker")
                .enable_all()
                .build()
                .map_err(|e| format!("embedded broker runtime: {e}"))
                .and_then(|rt| rt.block_on(run(listen, shutdown)));
            let _ = done_tx.send(result);
        })
        .map_err(|e| format!("embedded broker thread: {e}"))?;
    Ok(tokio::spawn(async move {
        done_rx
            .await
            .unwrap_or_else(|_| Err("embedded broker thread ended without a result".into()))
    }))
}

/// Waits for the broker task and flattens a panic or cancellation into the error string.
async fn join(task: &mut JoinHandle<Result<(), String>>) -> Result<(), String> {
    match task.await {
        Ok(result) => result,
        Err(e) => Err(format!("embedded broker task ended abnormally: {e}")),
    }
}

/// Validates `listen` and checks that it can be bound; returns the address to advertise.
///
/// tansu only logs a bind failure and returns an opaque I/O error, so we probe the
/// address first to give the user a message that names it. The probe socket is closed
/// at once; tansu binds with the same (tokio, SO_REUSEADDR) semantics.
async fn check_listen(listen: SocketAddr) -> Result<SocketAddr, String> {
    let advertised = advertised_addr(listen)?;
    drop(
        TcpListener::bind(listen)
            .await
            .map_err(|e| format!("cannot listen on {listen}: {e}"))?,
    );
    Ok(advertised)
}

/// The address to advertise for `listen`: itself, or loopback when it is unspecified.
fn advertised_addr(listen: SocketAddr) -> Result<SocketAddr, String> {
    if listen.port() == 0 {
        return Err(format!(
            "embedded broker needs an explicit port (got {listen}): the port is advertised \
             to clients, so it cannot be chosen by the OS"
        ));
    }
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    Ok(SocketAddr::new(ip, listen.port()))
}

/// `tcp://host:port` as tansu expects listener URLs (IPv6 hosts in brackets, which is
/// how `SocketAddr` displays them).
fn tcp_url(addr: SocketAddr) -> Result<Url, String> {
    Url::parse(&format!("tcp://{addr}")).map_err(|e| format!("bad listener address {addr}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unspecified_addresses_advertise_loopback() {
        let v4: SocketAddr = "0.0.0.0:9092".parse().expect("literal");
        let v6: SocketAddr = "[::]:9092".parse().expect("literal");
        let own: SocketAddr = "127.0.0.2:9092".parse().expect("literal");
        assert_eq!(
            advertised_addr(v4),
            Ok("127.0.0.1:9092".parse().expect("literal"))
        );
        assert_eq!(
            advertised_addr(v6),
            Ok("[::1]:9092".parse().expect("literal"))
        );
        assert_eq!(advertised_addr(own), Ok(own));
    }

    #[test]
    fn port_zero_is_rejected() {
        let addr: SocketAddr = "127.0.0.1:0".parse().expect("literal");
        assert!(advertised_addr(addr).is_err());
    }

    #[test]
    fn ipv6_listener_url_has_brackets() {
        let addr: SocketAddr = "[::1]:9092".parse().expect("literal");
        let url = tcp_url(addr).expect("valid url");
        assert_eq!(url.port(), Some(9092));
        assert_eq!(url.host_str(), Some("[::1]"));
    }

    #[tokio::test]
    async fn start_serves_and_shuts_down() {
        // Bind to learn a free port, then hand it to the broker.
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind probe");
            probe.local_addr().expect("local addr").port()
        };
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let broker = start(addr).await.expect("broker starts");
        assert_eq!(broker.bootstrap_servers(), addr.to_string());
        assert!(broker.is_running());

        // A second broker on the same port must fail with a message naming the address.
        let err = start(addr).await.expect_err("port is taken");
        assert!(err.contains(&addr.to_string()), "{err}");

        broker.shutdown().await.expect("clean shutdown");
        assert!(TcpStream::connect(addr).await.is_err(), "listener closed");
    }
}
