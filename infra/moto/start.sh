#!/usr/bin/env bash
# Starts moto's server on a free loopback port and waits until it responds.
#
# Prints shell lines to stdout, so a caller can run `eval "$(infra/moto/start.sh)"`:
#   export CHIRP_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:PORT
#   export CHIRP_MOTO_PID=PID
# Stop the server with `kill "$CHIRP_MOTO_PID"`. The server's log goes to a file named on
# stderr. Needs infra/moto/install.sh to have run first.
#
# Environment: MOTO_START_TIMEOUT (seconds, default 30) bounds the wait for the first response.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="$repo_root/.venv"
timeout_seconds="${MOTO_START_TIMEOUT:-30}"

if [[ ! -x "$venv/bin/moto_server" ]]; then
    echo "moto_server is missing from $venv; run infra/moto/install.sh first" >&2
    exit 1
fi

# The kernel picks a free port. Another process could take it before moto binds it; the wait
# below then notices that moto exited and prints its log.
port="$("$venv/bin/python" -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
')"

log="${TMPDIR:-/tmp}/chirp-moto-$port.log"
# stdout and stderr go to the log, so `$(start.sh)` returns without waiting for the server.
# serve.py, not moto_server: it handles one request at a time (see why there).
nohup "$venv/bin/python" "$repo_root/infra/moto/serve.py" 127.0.0.1 "$port" >"$log" 2>&1 </dev/null &
pid=$!

endpoint="http://127.0.0.1:$port"
deadline=$((SECONDS + timeout_seconds))
until "$venv/bin/python" -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=1)" \
    "$endpoint/moto-api/" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "moto_server exited before responding; its log ($log):" >&2
        tail -n 20 "$log" >&2
        exit 1
    fi
    if ((SECONDS >= deadline)); then
        echo "moto_server did not respond on $endpoint within $timeout_seconds s; stopping PID $pid" >&2
        kill "$pid" 2>/dev/null || true
        exit 1
    fi
    sleep 0.2
done

echo "moto_server runs on $endpoint as PID $pid, logging to $log" >&2
echo "export CHIRP_TEST_DYNAMODB_ENDPOINT=$endpoint"
echo "export CHIRP_MOTO_PID=$pid"
