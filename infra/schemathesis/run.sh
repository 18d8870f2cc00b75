#!/usr/bin/env bash
# Fuzzes the HTTP API with schemathesis against its own OpenAPI document: starts chirp-local on
# a free loopback port with a temporary data directory and rate limits off, registers a user
# for a bearer token, and runs schemathesis against http://127.0.0.1:PORT/api/schema/. The run
# fails on any 5xx, any status the document does not list, and any response whose body,
# headers or content type break the document, and when fewer requests than the minimum were
# sent. Sends no traffic beyond loopback.
#
# Usage: infra/schemathesis/run.sh (after `cargo build --bin chirp-local`)
# Environment: PYTHON (default python3) picks the interpreter for .venv;
# SCHEMATHESIS_MAX_EXAMPLES (default 40) sets the examples per operation in the fuzzing phase;
# SCHEMATHESIS_MIN_REQUESTS (default 1000) sets the minimum number of requests.
set -euo pipefail

# Pinned so every machine generates from the same strategies and applies the same checks.
SCHEMATHESIS_VERSION="4.32.5"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="$repo_root/.venv"
python="${PYTHON:-python3}"
binary="$repo_root/target/debug/chirp-local"
max_examples="${SCHEMATHESIS_MAX_EXAMPLES:-40}"
min_requests="${SCHEMATHESIS_MIN_REQUESTS:-1000}"

if [[ ! -x "$venv/bin/python" ]]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"

if [[ ! -x "$binary" ]]; then
    echo "$binary is missing; run cargo build --bin chirp-local first" >&2
    exit 1
fi

work_dir="$(mktemp -d "${TMPDIR:-/tmp}/chirp-schemathesis.XXXXXX")"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work_dir"
}
trap cleanup EXIT

# The kernel picks a free port. Another process could take it before chirp-local binds it; the
# wait below then notices that the server exited and prints its log.
port="$("$venv/bin/python" -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
')"
base="http://127.0.0.1:$port"

CHIRP_RATE_LIMITS=off RUST_LOG=warn "$binary" --listen "127.0.0.1:$port" --data-dir "$work_dir/data" \
    >"$work_dir/server.log" 2>&1 </dev/null &
server_pid=$!

deadline=$((SECONDS + 30))
until "$venv/bin/python" -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=1)" \
    "$base/api/health/" >/dev/null 2>&1; do
    if ! kill -0 "$server_pid" 2>/dev/null || ((SECONDS > deadline)); then
        echo "chirp-local did not start on $base; its log:" >&2
        cat "$work_dir/server.log" >&2
        exit 1
    fi
    sleep 0.2
done

# A registered user's token, so the operations that need one get past authentication.
token="$("$venv/bin/python" - "$base" <<'PY'
import json, sys, urllib.request

base = sys.argv[1]

def post(path, body):
    request = urllib.request.Request(
        base + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)

post("/api/accounts/register/", {"username": "fuzzer", "email": "fuzzer@example.com", "password": "fuzzing password"})
print(post("/api/accounts/login/", {"username": "fuzzer", "password": "fuzzing password"})["token"])
PY
)"

# Logout is left out: it would revoke the token halfway through the run, and every later
# request would only reach the 401 path. The end-to-end suite tests logout.
# Runs from the temporary directory, where schemathesis writes its cache of found failures;
# every run then starts from the same state.
cd "$work_dir"
status=0
"$venv/bin/schemathesis" run "$base/api/schema/" \
    --url "$base" \
    --header "Authorization: Bearer $token" \
    --exclude-operation-id logout \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
    --mode positive \
    --phases examples,coverage,fuzzing \
    --max-examples "$max_examples" \
    --seed 1 \
    --generation-database none \
    --workers 2 \
    --no-color \
    --report ndjson --report-ndjson-path "$work_dir/events.ndjson" \
    || status=$?

# The NDJSON report records each response schemathesis received, with its `status_code`.
requests="$(grep -o '"status_code"' "$work_dir/events.ndjson" | wc -l | tr -d ' ')"
echo "schemathesis sent $requests requests"
if ((status != 0)); then
    echo "schemathesis found failures; chirp-local's log is below" >&2
    tail -n 50 "$work_dir/server.log" >&2
    exit "$status"
fi
if ((requests < min_requests)); then
    echo "schemathesis sent $requests requests, fewer than the minimum of $min_requests" >&2
    exit 1
fi
