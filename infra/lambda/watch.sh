#!/usr/bin/env bash
# Emulates the deployed functions on this machine: starts moto (DynamoDB on 127.0.0.1), creates
# the table with chirp-admin, and runs `cargo lambda watch` on 127.0.0.1 with the environment the
# template gives the functions. Each function compiles (debug) on its first request, which can
# take minutes on a cold target directory.
#
#   HTTP functions: http://127.0.0.1:PORT/lambda-url/<binary>/<path>, for example
#     curl http://127.0.0.1:9000/lambda-url/chirp-service/api/health/
#   Stream functions: cargo lambda invoke -A 127.0.0.1 -P PORT chirp-fanout --data-file event.json
#
# Usage: infra/lambda/watch.sh (after infra/moto/install.sh and infra/lambda/install.sh)
# Environment:
#   CHIRP_WATCH_PORT (default 9000): the port watch listens on.
#   CHIRP_TEST_DYNAMODB_ENDPOINT: a running moto server to use instead of starting one.
#   CHIRP_TABLE (default chirp): the table to create; it must not exist yet.
#   CHIRP_SECRET (default: a fixed development value, never for a deployment): signs tokens.
#   Other variables pass through to the functions, for example CHIRP_RATE_LIMITS=off.
# Arguments are passed on to `cargo lambda watch`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

port="${CHIRP_WATCH_PORT:-9000}"
export CHIRP_TABLE="${CHIRP_TABLE:-chirp}"
export CHIRP_SECRET="${CHIRP_SECRET:-watch-development-secret-at-least-32-bytes}"

# Build chirp-admin before the offline environment points cargo's proxy at a closed port.
cargo build --quiet --bin chirp-admin

. infra/lambda/offline-env.sh

# On exit, and on SIGTERM or SIGINT, stop watch (which stops the function processes) and a
# moto server started here.
moto_pid=""
watch_pid=""
cleanup() {
    if [[ -n "$watch_pid" ]]; then
        kill "$watch_pid" 2>/dev/null || true
        wait "$watch_pid" 2>/dev/null || true
    fi
    if [[ -n "$moto_pid" ]]; then
        kill "$moto_pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# A moto server given in CHIRP_TEST_DYNAMODB_ENDPOINT is used as it is; otherwise one is
# started here.
if [[ -z "${CHIRP_TEST_DYNAMODB_ENDPOINT:-}" ]]; then
    eval "$(infra/moto/start.sh)"
    moto_pid="$CHIRP_MOTO_PID"
fi
# Only DynamoDB goes to moto; every other AWS endpoint stays at the closed port.
export AWS_ENDPOINT_URL_DYNAMODB="$CHIRP_TEST_DYNAMODB_ENDPOINT"

target/debug/chirp-admin --table "$CHIRP_TABLE" create-table

echo "cargo lambda watch on http://127.0.0.1:$port (table $CHIRP_TABLE on $AWS_ENDPOINT_URL_DYNAMODB)" >&2
# In the background, so a signal to this script reaches the traps at once instead of after
# watch ends.
cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$port" "$@" &
watch_pid=$!
wait "$watch_pid"
