#!/usr/bin/env bash
# Checks the SAM template and builds every function the way a deployment would, offline:
# `sam validate --lint`, `cargo lambda build --release` of every binary template.yaml names
# (x86_64), then `sam build`, which reuses those binaries. Prints the time of each step.
#
# Usage: infra/lambda/check.sh (after infra/lambda/install.sh)
# Environment: CHIRP_RELEASE_PROFILE=full builds with the workspace's release profile as it is
# (what a deployment ships); the default is the cheaper test profile described below.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

# Download any missing crates before the offline environment points the proxies at a closed
# port; cargo honours HTTPS_PROXY too.
cargo fetch --locked --quiet

. infra/lambda/offline-env.sh

# The workspace release profile (opt-level z, fat LTO, one codegen unit) links each function
# in a separate whole-program optimisation. In a test run that costs more than it
# checks, so by default the build keeps opt-level, panic=abort and strip but drops LTO and uses
# 16 codegen units. `sam build` inherits these variables, so its cargo invocations find the same
# fingerprints and rebuild nothing.
if [[ "${CHIRP_RELEASE_PROFILE:-test}" != "full" ]]; then
    export CARGO_PROFILE_RELEASE_LTO=off
    export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
fi

mapfile -t binaries < <(grep -oP '^\s+Binary: \K\S+' template.yaml | sort -u)
if ((${#binaries[@]} == 0)); then
    echo "template.yaml names no function binary (Metadata.BuildProperties.Binary)" >&2
    exit 1
fi
bin_args=()
for binary in "${binaries[@]}"; do
    bin_args+=(--bin "$binary")
done

step() {
    local name="$1"
    shift
    local started=$SECONDS
    echo "== $name"
    "$@"
    echo "== $name took $((SECONDS - started)) s"
}

step "sam validate --lint" sam validate --lint --region us-east-1 --template-file template.yaml

# The same selection SAM's builder makes (`--bin NAME` at the workspace root), so features
# resolve alike and the per-function builds below are no-ops.
step "cargo lambda build --release (${#binaries[@]} functions)" \
    cargo lambda build --release --locked "${bin_args[@]}"
for binary in "${binaries[@]}"; do
    bootstrap="target/lambda/$binary/bootstrap"
    if [[ ! -x "$bootstrap" ]]; then
        echo "cargo lambda build left no executable at $bootstrap" >&2
        exit 1
    fi
    echo "$bootstrap: $(stat -c %s "$bootstrap") bytes"
done

# Outside the source tree's .aws-sam, so a test run leaves the working tree clean.
build_dir="target/sam/build"
step "sam build" sam build --template-file template.yaml --build-dir "$build_dir" --region us-east-1

built=0
for bootstrap in "$build_dir"/*/bootstrap; do
    built=$((built + 1))
done
if ((built != ${#binaries[@]})); then
    echo "sam build produced $built bootstrap files for ${#binaries[@]} functions" >&2
    exit 1
fi
echo "sam build packaged $built functions into $build_dir"
