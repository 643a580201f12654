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
# Same template as tools/test.sh: a fresh database costs a copy, not an install.
template=gcs_template_$(echo "$ODOO_SRC_DIR" | sha256sum | cut -c1-8)
if ! db_exists "$template"; then
    echo "[bench] building template database $template (calendar, base_setup)"
    odoo -d "$template" -i calendar,base_setup --stop-after-init
fi
echo "[bench] fresh database $db with google_calendar_sync installed" >&2
drop_db "$db"
createdb -T "$template" "$db"
rm -rf "$GCS_BUILD/data/filestore/$db"
if [[ -d $GCS_BUILD/data/filestore/$template ]]; then
    mkdir -p "$GCS_BUILD/data/filestore"
    cp -r "$GCS_BUILD/data/filestore/$template" "$GCS_BUILD/data/filestore/$db"
fi
odoo -d "$db" -i google_calendar_sync --stop-after-init

cd "$GCS_REPO"
exec "$GCS_VENV/bin/python" tools/bench.py --config "$GCS_BUILD/odoo.conf" --database "$db" "$@"
