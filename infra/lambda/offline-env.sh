# Environment for running the SAM CLI and cargo-lambda on this machine without reaching AWS.
# Source it: `. infra/lambda/offline-env.sh`. It puts .venv/bin on PATH and sets dummy
# credentials and a region, turns SAM telemetry off, and points the HTTP proxies and every AWS
# endpoint at a closed loopback port, so a call that tries to leave the machine fails at once
# instead of going out. NO_PROXY exempts loopback, where the local servers and moto listen.

_chirp_repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PATH="$_chirp_repo_root/.venv/bin:$PATH"
unset _chirp_repo_root

# Port 9 (discard) has no listener here, so connections to it are refused.
CHIRP_OFFLINE_SINK="http://127.0.0.1:9"
export SAM_CLI_TELEMETRY=0
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_SESSION_TOKEN=testing
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
export AWS_ENDPOINT_URL="$CHIRP_OFFLINE_SINK"
export HTTP_PROXY="$CHIRP_OFFLINE_SINK" HTTPS_PROXY="$CHIRP_OFFLINE_SINK"
export http_proxy="$CHIRP_OFFLINE_SINK" https_proxy="$CHIRP_OFFLINE_SINK"
export NO_PROXY="127.0.0.1,localhost" no_proxy="127.0.0.1,localhost"
unset CHIRP_OFFLINE_SINK
