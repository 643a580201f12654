#!/usr/bin/env bash
# `make clean`: forget the virtualenv and the build folder, and drop this
# clone's demo database with them (its filestore lives in the build folder:
# a database left without it would show broken attachments). The test and
# template databases are rebuilt when needed and stay.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The clone's own folders, whatever GCS_BUILD and GCS_VENV point at.
GCS_BUILD=$repo/.build
if [[ -f $GCS_BUILD/odoo-src ]]; then
    source "$repo/tools/env.sh"
    if psql -d postgres -tAc "SELECT 1" >/dev/null 2>&1 && db_exists "$GCS_DEMO_DB"; then
        echo "[clean] dropping the demo database $GCS_DEMO_DB"
        drop_db "$GCS_DEMO_DB"
    fi
fi
rm -rf "$repo/.venv" "$GCS_BUILD"
echo "[clean] removed $repo/.venv and $GCS_BUILD"
