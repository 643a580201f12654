#!/usr/bin/env bash
# One set-up for every make target: Odoo source, virtualenv, PostgreSQL,
# Chromium (for tests), the addons-path symlink and the Odoo config file.
# Idempotent: a second run only checks what is already there.
#
# Usage: tools/setup.sh [--browser | --no-db]
#   --browser   also make sure Chromium is installed (browser tours).
#   --no-db     leave PostgreSQL alone (make test-pure needs no database).
#
# Environment: ODOO_SRC, GCS_VENV, GCS_BUILD, GCS_HTTP_PORT, PGHOST, PGPORT.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${GCS_BUILD:-$repo/.build}
venv=${GCS_VENV:-$repo/.venv}
http_port=${GCS_HTTP_PORT:-8069}
want_browser=0
want_db=1
[[ ${1:-} == --browser ]] && want_browser=1
[[ ${1:-} == --no-db ]] && want_db=0

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

mkdir -p "$build/addons"

# --- Odoo source -----------------------------------------------------------
find_odoo() {
    local candidate
    for candidate in "${ODOO_SRC:-}" /opt/odoo-19.0 "$build/odoo"; do
        if [[ -n $candidate && -f $candidate/odoo-bin && -d $candidate/odoo/addons ]]; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}
if ! odoo_src=$(find_odoo); then
    say "no Odoo 19.0 source found; cloning it into $build/odoo"
    if ! git clone -q --depth 1 --branch 19.0 https://github.com/odoo/odoo "$build/odoo" 2>/dev/null; then
        rm -rf "$build/odoo"
        die "Odoo 19.0 source not found. Looked at \$ODOO_SRC (${ODOO_SRC:-unset}), /opt/odoo-19.0, and tried 'git clone --depth 1 --branch 19.0 https://github.com/odoo/odoo' into $build/odoo, which failed. Set ODOO_SRC to an Odoo 19.0 checkout."
    fi
    odoo_src=$build/odoo
fi
grep -q "^version_info = (19, 0" "$odoo_src/odoo/release.py" \
    || die "$odoo_src is not Odoo 19.0 (see odoo/release.py)"

# --- virtualenv ------------------------------------------------------------
# Odoo's requirements.txt does not install as is next to current google-auth
# on Python 3.11; these substitutions are measured in shared/docs.
odoo_requirements=$build/odoo-requirements.txt
sed -E \
    -e 's/^cbor2==5\.4\.2.*/cbor2==5.6.5/' \
    -e 's/^psycopg2==([0-9.]+) *; *python_version == .3\.11.*/psycopg2-binary==\1/' \
    -e '/^psycopg2==/d' \
    -e '/^python-ldap/d' \
    -e "s/^cryptography==3\.4\.8.*/cryptography==42.0.8/" \
    -e "s/^pyopenssl==21\.0\.0.*/pyopenssl==24.1.0/" \
    -e "s/^urllib3==1\.26\.5.*/urllib3==2.0.7/" \
    -e '/^cryptography==42\.0\.8 *;/d' \
    -e '/^pyopenssl==24\.1\.0 *;/d' \
    -e '/^urllib3==2\.0\.7 *;/d' \
    -e '/^requests==/d' \
    "$odoo_src/requirements.txt" >"$odoo_requirements"

stamp=$venv/.gcs-installed
wanted=$(cat "$odoo_requirements" "$repo/requirements.txt" "$repo/requirements-test.txt" \
    <(echo "$odoo_src") | sha256sum | cut -c1-16)
if [[ ! -x $venv/bin/python ]]; then
    say "creating virtualenv $venv"
    python3 -m venv "$venv" || die "python3 -m venv failed (install python3-venv)"
fi
if [[ ! -f $stamp || $(cat "$stamp") != "$wanted" ]]; then
    say "installing Python dependencies (first run only)"
    "$venv/bin/pip" install -q --upgrade pip wheel
    "$venv/bin/pip" install -q -r "$odoo_requirements" -r "$repo/requirements.txt" \
        -r "$repo/requirements-test.txt"
    # A .pth file (not `pip install -e`) puts Odoo on the path: an editable
    # install adds a path hook that Odoo mistakes for an addons directory.
    "$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' \
        | xargs -I{} sh -c "echo '$odoo_src' > {}/odoo-src.pth"
    echo "$wanted" >"$stamp"
else
    say "virtualenv up to date"
fi

# --- PostgreSQL --------------------------------------------------------------
pg_answers() { "$venv/bin/python" - <<'EOF' 2>/dev/null
import psycopg2
psycopg2.connect(dbname="postgres").close()
EOF
}
if ((want_db)) && ! pg_answers; then
    if ! command -v pg_ctlcluster >/dev/null; then
        say "installing PostgreSQL"
        if [[ $(id -u) == 0 ]]; then
            apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null \
                || die "could not install PostgreSQL with apt-get"
        else
            die "PostgreSQL is not running and not installed; install it (apt-get install postgresql) or set PGHOST/PGPORT"
        fi
    fi
    cluster=$(pg_lsclusters -h 2>/dev/null | awk 'NR==1 {print $1" "$2}')
    [[ -n $cluster ]] || die "no PostgreSQL cluster found (pg_lsclusters); create one with pg_createcluster"
    say "starting PostgreSQL cluster $cluster"
    # shellcheck disable=SC2086
    pg_ctlcluster $cluster start 2>/dev/null || sudo -n pg_ctlcluster $cluster start 2>/dev/null || true
    for _ in $(seq 20); do pg_answers && break; sleep 0.5; done
    if ! pg_answers; then
        me=$(whoami)
        say "creating PostgreSQL role $me"
        su postgres -c "createuser -s $me" 2>/dev/null || sudo -n -u postgres createuser -s "$me" 2>/dev/null || true
    fi
    pg_answers || die "PostgreSQL does not accept connections for role $(whoami); start it and create the role: su postgres -c 'createuser -s $(whoami)'"
fi

# --- Chromium (browser tours) ------------------------------------------------
if ((want_browser)) && ! command -v chromium >/dev/null && ! command -v google-chrome >/dev/null \
    && ! command -v chromium-browser >/dev/null; then
    say "installing Chromium for browser tours"
    if [[ $(id -u) == 0 ]]; then
        apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
            || die "could not install chromium with apt-get"
    else
        die "Chromium is needed for browser tours: apt-get install chromium"
    fi
fi

# --- addons path and config ----------------------------------------------------
# Odoo imports the module by its technical name, whatever the clone is called.
ln -sfn "$repo" "$build/addons/google_calendar_sync"
cat >"$build/odoo.conf" <<EOF
[options]
addons_path = $odoo_src/addons,$odoo_src/odoo/addons,$build/addons
data_dir = $build/data
http_interface = 127.0.0.1
http_port = $http_port
gevent_port = $((http_port + 3))
${PGHOST:+db_host = $PGHOST}
${PGPORT:+db_port = $PGPORT}
list_db = False
log_level = warn
EOF
echo "$odoo_src" >"$build/odoo-src"
say "ready: Odoo $odoo_src, venv $venv, config $build/odoo.conf"
