#!/usr/bin/env bash
# Installs moto's server into a virtualenv at the repository root (.venv), for the DynamoDB
# runs of the store conformance suite. Safe to run again: pip keeps what is already installed.
#
# Usage: infra/moto/install.sh
# Environment: PYTHON (default python3) picks the interpreter; moto 5.2 needs Python 3.9 or
# later.
set -euo pipefail

# Pinned so every machine tests against the same emulator and its known differences from
# DynamoDB stay the same.
MOTO_VERSION="5.2.5"

. "$(dirname "${BASH_SOURCE[0]}")/../venv.sh"

"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"

echo "moto $("$venv/bin/python" -c 'import moto; print(moto.__version__)') is in $venv"
