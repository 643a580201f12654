#!/usr/bin/env bash
# `make bench`: set up, build a fresh benchmark database with the module
# installed, then run tools/bench.py (arguments are passed on, see --help).
#
# Environment: GCS_BENCH_DB (default gcs_bench), plus what tools/setup.sh reads.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$repo/tools/setup.sh" >/dev/null
source "$repo/tools/env.sh"

db=${GCS_BENCH_DB:-gcs_bench}
fresh_module_db "$db" >&2

cd "$GCS_REPO"
exec "$GCS_VENV/bin/python" tools/bench.py --config "$GCS_BUILD/odoo.conf" --database "$db" "$@"
