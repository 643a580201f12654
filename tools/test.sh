#!/usr/bin/env bash
# `make test`: set up, build a fresh test database with the module installed,
# run the whole suite with pytest-odoo (HttpCase and browser tours included).
#
# Environment: GCS_TEST_DB (default gcs_test; another name lets two suites run
# side by side), PYTEST_ARGS (extra pytest arguments, e.g. -k "oauth or sync"),
# plus what tools/setup.sh reads.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$repo/tools/setup.sh" --browser
source "$repo/tools/env.sh"

db=${GCS_TEST_DB:-gcs_test}
fresh_module_db "$db"

cd "$GCS_BUILD"
# PYTEST_ARGS is split like a shell command line, so -k "a or b" works.
eval "extra_args=(${PYTEST_ARGS:-})"
# The repo root on the path: tests/pure/ imports engine and fake_google as
# top-level packages, as under `make test-pure`.
PYTHONPATH="$GCS_REPO/tools:$GCS_REPO${PYTHONPATH:+:$PYTHONPATH}" \
    exec "$GCS_VENV/bin/python" -m pytest -p no:cacheprovider -p pytest_gcs \
    --odoo-config="$GCS_BUILD/odoo.conf" --odoo-database="$db" --odoo-http \
    "${extra_args[@]}" "$GCS_BUILD/addons/google_calendar_sync/tests"
