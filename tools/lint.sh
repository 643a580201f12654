#!/usr/bin/env bash
# `make lint`: ruff and pylint-odoo (the OCA checks) on the whole tree, and
# README.rst checked against the readme/ fragments it is generated from.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$repo/tools/setup.sh" >/dev/null
source "$repo/tools/env.sh"
cd "$repo"
echo "[lint] ruff"
"$GCS_VENV/bin/ruff" check .
"$GCS_VENV/bin/ruff" format --check --diff . >/dev/null || {
    echo "[lint] ruff format would change these files:"; "$GCS_VENV/bin/ruff" format --check . ; exit 1; }
echo "[lint] models/ stay thin (600 lines a file at most)"
too_long=$(wc -l models/*.py | awk '$2 != "total" && $1 > 600 {print $2 " (" $1 " lines)"}')
if [[ -n $too_long ]]; then
    echo "[lint] over 600 lines, move logic to sync/ or engine/: $too_long"; exit 1
fi
echo "[lint] README.rst from readme/"
"$GCS_VENV/bin/python" tools/readme.py --check
echo "[lint] pylint-odoo"
# pylint checks the module through its technical name on the addons path;
# tests/pure/ is no package (it runs without Odoo), so it is named as well.
cd "$GCS_BUILD/addons"
"$GCS_VENV/bin/pylint" --rcfile="$repo/.pylintrc" google_calendar_sync google_calendar_sync/tests/pure
echo "[lint] clean"
