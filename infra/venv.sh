# Sourced by the install scripts: sets `venv` to the virtualenv at the repository root (.venv)
# and creates it when it is missing. PYTHON (default python3) picks the interpreter that
# creates it. moto 5.2 needs Python 3.9 or later.
venv="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.venv"
if [[ ! -x "$venv/bin/python" ]]; then
    "${PYTHON:-python3}" -m venv "$venv"
fi
