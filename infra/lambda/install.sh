#!/usr/bin/env bash
# Installs the AWS SAM CLI and cargo-lambda (which ships its own zig for linking) into the
# virtualenv at the repository root (.venv). Safe to run again: pip keeps what is installed.
#
# Usage: infra/lambda/install.sh
# Environment: PYTHON (default python3) picks the interpreter that creates .venv.
set -euo pipefail

# Pinned so every machine validates and builds with the same translator and builder.
SAM_CLI_VERSION="1.170.0"
CARGO_LAMBDA_VERSION="1.9.2"

. "$(dirname "${BASH_SOURCE[0]}")/../venv.sh"

"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "aws-sam-cli==$SAM_CLI_VERSION" "cargo-lambda==$CARGO_LAMBDA_VERSION"

echo "$("$venv/bin/sam" --version) and $("$venv/bin/cargo-lambda" lambda --version) are in $venv"
