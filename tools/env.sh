# Sourced by the tools/*.sh scripts after tools/setup.sh: paths and helpers.
GCS_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GCS_BUILD=${GCS_BUILD:-$GCS_REPO/.build}
GCS_VENV=${GCS_VENV:-$GCS_REPO/.venv}
ODOO_SRC_DIR=$(cat "$GCS_BUILD/odoo-src")
export GCS_REPO GCS_BUILD GCS_VENV ODOO_SRC_DIR

# The demo database of this clone (`make run`): named after its build folder,
# where Odoo keeps its filestore, so that the two stay together and another
# clone on the same PostgreSQL gets its own.
GCS_DEMO_DB=${GCS_DEMO_DB:-gcs_demo_$(printf %s "$GCS_BUILD" | sha256sum | cut -c1-8)}
export GCS_DEMO_DB

odoo() {
    "$GCS_VENV/bin/python" "$ODOO_SRC_DIR/odoo-bin" -c "$GCS_BUILD/odoo.conf" "$@"
}
db_exists() {
    [[ $(psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'") == 1 ]]
}
# When Odoo created database $1 (its database.create_date), or nothing.
db_created_on() {
    psql -d "$1" -tAc "SELECT value FROM ir_config_parameter WHERE key = 'database.create_date'" 2>/dev/null || true
}
drop_db() {
    psql -q -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$1'" >/dev/null
    dropdb --if-exists "$1"
}

# A fresh database with the module installed. The base modules are installed
# once into a template database, so a fresh database costs a copy, not a
# full install.
fresh_module_db() {
    local db=$1 template
    template=gcs_template_$(echo "$ODOO_SRC_DIR" | sha256sum | cut -c1-8)
    if ! db_exists "$template"; then
        echo "[setup] building template database $template (calendar, base_setup)"
        odoo -d "$template" -i calendar,base_setup --stop-after-init
    fi
    echo "[setup] fresh database $db with google_calendar_sync installed"
    drop_db "$db"
    createdb -T "$template" "$db"
    rm -rf "$GCS_BUILD/data/filestore/$db"
    if [[ -d $GCS_BUILD/data/filestore/$template ]]; then
        mkdir -p "$GCS_BUILD/data/filestore"
        cp -r "$GCS_BUILD/data/filestore/$template" "$GCS_BUILD/data/filestore/$db"
    fi
    odoo -d "$db" -i google_calendar_sync --stop-after-init
}
