#!/usr/bin/env bash
# Reproduces every figure of docs/benchmarks.md: the load benchmark on the sample data, the
# cold start of each function binary, and the capacity units per request on DynamoDB. The
# DynamoDB runs use moto on 127.0.0.1, started here and stopped on exit.
#
# Usage: infra/bench/run.sh DATA_DIR [STEP...]
#   DATA_DIR contains social-graph/verizoncareers.tsv and tweets/tweeteval-emoji-train.txt.
#   STEP is any of load, cold-start, capacity (default: all three, in that order).
# Results: Markdown in $RESULTS_DIR (default target/bench-results), one file per step; the
# load benchmark's SVG plots in docs/bench.
# Environment:
#   RELEASE_TARGET_DIR  Cargo target directory of the release function builds (default
#                       target/lambda-release), kept apart so a full-profile build does not
#                       replace what other builds left in target/.
#   RUNS                cold starts per function (default 10).
#   REQUESTS            requests per scenario of the load benchmark (default 1000).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo_root"

if [[ $# -lt 1 ]]; then
    sed -n '2,20p' "$0" >&2
    exit 2
fi
data_dir="$1"
shift
steps=("$@")
if [[ ${#steps[@]} -eq 0 ]]; then
    steps=(load cold-start capacity)
fi

results="${RESULTS_DIR:-target/bench-results}"
release_target="${RELEASE_TARGET_DIR:-target/lambda-release}"
runs="${RUNS:-10}"
requests="${REQUESTS:-1000}"
functions=(service accounts social tweets likes timelines search notifications moderation fanout notifier indexer avatars)
mkdir -p "$results"

cargo build --bin chirp-bench
bench="target/debug/chirp-bench"

# Each function is built in its own cargo invocation, as SAM builds them: cargo then enables
# only the features that function depends on, so one function's S3 client does not end up in
# every binary.
build_functions() {
    local lambda_dir="$release_target/lambda"
    for name in "${functions[@]}"; do
        if [[ -x .venv/bin/cargo-lambda ]]; then
            PATH="$repo_root/.venv/bin:$PATH" CARGO_TARGET_DIR="$release_target" \
                cargo lambda build --release --bin "chirp-$name"
        else
            echo "cargo-lambda is not in .venv; building with cargo build --release" >&2
            CARGO_TARGET_DIR="$release_target" cargo build --release --bin "chirp-$name"
            mkdir -p "$lambda_dir/chirp-$name"
            cp "$release_target/release/chirp-$name" "$lambda_dir/chirp-$name/bootstrap"
        fi
    done
}

moto_pid=""
start_moto() {
    if [[ -z "$moto_pid" ]]; then
        infra/moto/install.sh >&2
        eval "$(infra/moto/start.sh)"
        moto_pid="$CHIRP_MOTO_PID"
        trap 'kill "$moto_pid" 2>/dev/null || true' EXIT
    fi
}

for step in "${steps[@]}"; do
    case "$step" in
        load)
            "$bench" load \
                --graph "$data_dir/social-graph/verizoncareers.tsv" \
                --tweets "$data_dir/tweets/tweeteval-emoji-train.txt" \
                --requests "$requests" --concurrency 8 --plots docs/bench | tee "$results/load.md"
            ;;
        cold-start)
            build_functions
            ls -l "$release_target"/lambda/*/bootstrap | tee "$results/binaries.txt"
            start_moto
            "$bench" cold-start --lambda-dir "$release_target/lambda" --runs "$runs" | tee "$results/cold-start.md"
            ;;
        capacity)
            start_moto
            "$bench" capacity | tee "$results/capacity.md"
            ;;
        *)
            echo "unknown step $step (expected load, cold-start or capacity)" >&2
            exit 2
            ;;
    esac
done
echo "results are in $results" >&2
