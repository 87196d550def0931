#!/usr/bin/env bash
# Starts, stops and reports the real services the end-to-end suite runs against.
#
#   tests/services.sh start|stop|status
#
# Each service has a <name>_start / <name>_stop / <name>_status function and is listed
# in SERVICES; the commands run over that list, so adding a service (PostgreSQL, Redis,
# ClickHouse, InfluxDB) means writing its three functions and appending its name.
# Everything a service writes at run time (logs, pid files) goes under tests/.run/.
#
# Environment:
#   SLUICE_TEST_KAFKA_PORT  port of the embedded broker (default 19092)
#   CARGO_TARGET_DIR        where cargo builds; the sluice binary is looked up there
#   SLUICE_BIN              use this sluice binary instead of building one

set -euo pipefail
# No job control even if inherited: background children then stay in our process group,
# so `setsid` below execs in place instead of forking and $! is the service's own pid.
set +m

TESTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(dirname "$TESTS_DIR")"
RUN_DIR="$TESTS_DIR/.run"

# How long a service may take to accept connections after it was launched.
START_TIMEOUT_SECS=60
# How long a service may take to exit after SIGTERM before it gets SIGKILL.
STOP_TIMEOUT_SECS=15

SERVICES=(kafka)

log() { printf 'services: %s\n' "$*" >&2; }

# ---------------------------------------------------------------------------------------
# Helpers shared by all services.

# port_open HOST PORT: true if something accepts TCP connections there. Uses bash's
# /dev/tcp so the script needs no nc/curl; the subshell keeps the fd from leaking.
port_open() {
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# pid_running PID: true if the process exists and is not a zombie. A service outlives
# the `start` that launched it, so its parent is init (or a subreaper) which may reap it
# late; `kill -0` alone would report an exited-but-unreaped service as running.
pid_running() {
    local state
    kill -0 "$1" 2>/dev/null || return 1
    state="$(ps -o stat= -p "$1" 2>/dev/null)" || return 1
    [[ "$state" != Z* ]]
}

# pid_alive PIDFILE: true if the pid file names a running process.
pid_alive() {
    local pid
    [[ -f "$1" ]] || return 1
    pid="$(cat "$1")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    pid_running "$pid"
}

# wait_port NAME HOST PORT PIDFILE LOGFILE: wait until the port accepts connections.
# Fails early if the process dies, and after START_TIMEOUT_SECS; either way it prints the
# end of the log, because that is where the reason is.
wait_port() {
    local name="$1" host="$2" port="$3" pidfile="$4" logfile="$5"
    local deadline=$((SECONDS + START_TIMEOUT_SECS))
    while ! port_open "$host" "$port"; do
        if ! pid_alive "$pidfile"; then
            log "$name exited during start-up; last lines of $logfile:"
            tail -n 40 "$logfile" >&2 || true
            rm -f "$pidfile"
            return 1
        fi
        if ((SECONDS >= deadline)); then
            log "$name not accepting connections on $host:$port after ${START_TIMEOUT_SECS}s; last lines of $logfile:"
            tail -n 40 "$logfile" >&2 || true
            return 1
        fi
        sleep 0.2
    done
}

# stop_pid NAME PIDFILE: SIGTERM, wait, SIGKILL after STOP_TIMEOUT_SECS; removes the
# pid file. Only ever signals the pid this script recorded.
stop_pid() {
    local name="$1" pidfile="$2" pid
    if ! pid_alive "$pidfile"; then
        rm -f "$pidfile"
        log "$name not running"
        return 0
    fi
    pid="$(cat "$pidfile")"
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_TIMEOUT_SECS))
    while pid_running "$pid"; do
        if ((SECONDS >= deadline)); then
            log "$name (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT_SECS}s; killing"
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.1
    done
    rm -f "$pidfile"
    log "$name stopped"
}

# sluice_bin: path of the sluice binary, building it (debug profile) if it is missing.
sluice_bin() {
    if [[ -n "${SLUICE_BIN:-}" ]]; then
        [[ -x "$SLUICE_BIN" ]] || { log "SLUICE_BIN=$SLUICE_BIN is not executable"; return 1; }
        printf '%s\n' "$SLUICE_BIN"
        return 0
    fi
    local target_dir="${CARGO_TARGET_DIR:-$REPO_DIR/target}"
    # cargo resolves a relative CARGO_TARGET_DIR against the current directory.
    [[ "$target_dir" = /* ]] || target_dir="$PWD/$target_dir"
    local bin="$target_dir/debug/sluice"
    if [[ ! -x "$bin" ]]; then
        log "building sluice (cargo build -p sluice)"
        (cd "$REPO_DIR" && CARGO_TARGET_DIR="$target_dir" cargo build -p sluice) >&2
    fi
    printf '%s\n' "$bin"
}

# ---------------------------------------------------------------------------------------
# kafka: the embedded, in-memory broker (`sluice broker`). Its data is lost on stop.

KAFKA_HOST=127.0.0.1
KAFKA_PORT="${SLUICE_TEST_KAFKA_PORT:-19092}"
KAFKA_PID="$RUN_DIR/broker.pid"
KAFKA_LOG="$RUN_DIR/broker.log"

kafka_start() {
    if port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
        # Idempotent: whatever answers there (ours from an earlier run, or a broker the
        # developer started) is used as is.
        log "kafka already up on $KAFKA_HOST:$KAFKA_PORT"
        return 0
    fi
    local bin
    bin="$(sluice_bin)"
    mkdir -p "$RUN_DIR"
    # setsid: the broker must not die with the shell that started it (e.g. on Ctrl-C in
    # the terminal that ran `start`); stop sends it SIGTERM by pid.
    setsid "$bin" broker --listen "$KAFKA_HOST:$KAFKA_PORT" \
        </dev/null >"$KAFKA_LOG" 2>&1 &
    echo $! >"$KAFKA_PID"
    # A broker that never came up is not left behind half-started.
    wait_port kafka "$KAFKA_HOST" "$KAFKA_PORT" "$KAFKA_PID" "$KAFKA_LOG" || {
        kafka_stop
        return 1
    }
    log "kafka up on $KAFKA_HOST:$KAFKA_PORT (pid $(cat "$KAFKA_PID"), log $KAFKA_LOG)"
}

kafka_stop() {
    stop_pid kafka "$KAFKA_PID"
}

kafka_status() {
    if port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
        if pid_alive "$KAFKA_PID"; then
            echo "kafka: up on $KAFKA_HOST:$KAFKA_PORT (pid $(cat "$KAFKA_PID"))"
        else
            echo "kafka: up on $KAFKA_HOST:$KAFKA_PORT (not started by this script)"
        fi
        return 0
    fi
    echo "kafka: down ($KAFKA_HOST:$KAFKA_PORT)"
    return 1
}

# ---------------------------------------------------------------------------------------

usage() {
    echo "usage: $0 start|stop|status" >&2
    exit 2
}

main() {
    [[ $# -eq 1 ]] || usage
    local svc rc=0
    case "$1" in
        start)
            for svc in "${SERVICES[@]}"; do "${svc}_start"; done
            ;;
        stop)
            # Reverse order, so services that depend on earlier ones go first.
            local i
            for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do "${SERVICES[i]}_stop"; done
            ;;
        status)
            # Report every service; exit 1 if any is down.
            for svc in "${SERVICES[@]}"; do "${svc}_status" || rc=1; done
            ;;
        *) usage ;;
    esac
    return "$rc"
}

main "$@"
