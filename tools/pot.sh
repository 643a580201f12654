#!/usr/bin/env bash
# `make pot`: regenerate i18n/google_calendar_sync.pot from the module's files.
# The export runs on a copy holding only the project's files: Odoo's exporter
# would otherwise walk .venv and .build (whose symlink leads back here).
# Needs a database with the module installed (default: the one `make test` builds).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$repo/tools/setup.sh" >/dev/null
source "$repo/tools/env.sh"
db=${GCS_TEST_DB:-gcs_test}
db_exists "$db" || { echo "[pot] no database $db: run make test first (or set GCS_TEST_DB)"; exit 1; }

copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
mkdir -p "$copy/google_calendar_sync"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard \
    | xargs -0 tar -c) | tar -x -C "$copy/google_calendar_sync"
sed "s|^addons_path = .*|addons_path = $ODOO_SRC_DIR/addons,$ODOO_SRC_DIR/odoo/addons,$copy|" \
    "$GCS_BUILD/odoo.conf" >"$copy/odoo.conf"
"$GCS_VENV/bin/python" "$ODOO_SRC_DIR/odoo-bin" i18n export -c "$copy/odoo.conf" -d "$db" \
    google_calendar_sync -l pot
cp "$copy/google_calendar_sync/i18n/google_calendar_sync.pot" "$repo/i18n/google_calendar_sync.pot"
echo "[pot] i18n/google_calendar_sync.pot updated"
