#!/usr/bin/env bash
# `make test`: set up, build a fresh test database with the module installed,
# run the whole suite with pytest-odoo (HttpCase and browser tours included).
#
# Environment: GCS_TEST_DB (default gcs_test), GCS_HTTP_PORT (default 8069;
# use another one to run two suites side by side), PYTEST_ARGS (extra pytest
# arguments, e.g. "-k oauth"), plus what tools/setup.sh reads.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$repo/tools/setup.sh" --browser
source "$repo/tools/env.sh"

db=${GCS_TEST_DB:-gcs_test}
# The base modules are installed once into a template database, so a fresh
# test database costs a copy instead of a full install.
template=gcs_template_$(echo "$ODOO_SRC_DIR" | sha256sum | cut -c1-8)
if ! db_exists "$template"; then
    echo "[test] building template database $template (calendar, base_setup)"
    odoo -d "$template" -i calendar,base_setup --stop-after-init
fi
echo "[test] fresh database $db with google_calendar_sync installed"
drop_db "$db"
createdb -T "$template" "$db"
rm -rf "$GCS_BUILD/data/filestore/$db"
if [[ -d $GCS_BUILD/data/filestore/$template ]]; then
    mkdir -p "$GCS_BUILD/data/filestore"
    cp -r "$GCS_BUILD/data/filestore/$template" "$GCS_BUILD/data/filestore/$db"
fi
odoo -d "$db" -i google_calendar_sync --stop-after-init

cd "$GCS_BUILD"
# PYTEST_ARGS is split like a shell command line, so -k "a or b" works.
eval "extra_args=(${PYTEST_ARGS:-})"
PYTHONPATH="$GCS_REPO/tools${PYTHONPATH:+:$PYTHONPATH}" \
    exec "$GCS_VENV/bin/python" -m pytest -p no:cacheprovider -p pytest_gcs \
    --odoo-config="$GCS_BUILD/odoo.conf" --odoo-database="$db" --odoo-http \
    "${extra_args[@]}" "$GCS_BUILD/addons/google_calendar_sync/tests"
