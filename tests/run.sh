#!/usr/bin/env bash
# The test command of README.md (and of .ci/run): build everything, start the real
# services the suite needs, run every test, stop the services again.
#
#   bash tests/run.sh [extra nextest arguments]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cargo build --workspace --all-targets
bash tests/services.sh start
trap 'bash tests/services.sh stop' EXIT
cargo nextest run --workspace --no-fail-fast "$@"
