# Sourced by the tools/*.sh scripts after tools/setup.sh: paths and helpers.
GCS_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GCS_BUILD=${GCS_BUILD:-$GCS_REPO/.build}
GCS_VENV=${GCS_VENV:-$GCS_REPO/.venv}
ODOO_SRC_DIR=$(cat "$GCS_BUILD/odoo-src")
export GCS_REPO GCS_BUILD GCS_VENV ODOO_SRC_DIR

odoo() {
    "$GCS_VENV/bin/python" "$ODOO_SRC_DIR/odoo-bin" -c "$GCS_BUILD/odoo.conf" "$@"
}
db_exists() {
    [[ $(psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'") == 1 ]]
}
drop_db() {
    psql -q -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$1'" >/dev/null
    dropdb --if-exists "$1"
}
