#!/usr/bin/env bash
# `make run`: set up, then serve Odoo with the module on http://localhost:8069
# next to the local Google fake, configured so that the Google button works
# without a Google account. Ctrl-C stops both. A second run reuses the
# virtualenv and the database (and updates the module in it).
#
# The database is this clone's own (gcs_demo_<hash of .build's path>): Odoo
# keeps its filestore, and the fake its state, under .build/, which `make
# clean` removes together with that database.
#
# Environment: GCS_DEMO_DB (default: this clone's), GCS_HTTP_PORT (default 8069),
# GCS_FAKE_PORT (default 8765), GCS_REAL_GOOGLE=1 to leave the endpoints alone
# (talk to the real Google with the Client ID/Secret set in Settings).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$repo/tools/setup.sh"
source "$repo/tools/env.sh"

db=$GCS_DEMO_DB
http_port=${GCS_HTTP_PORT:-8069}
fake_port=${GCS_FAKE_PORT:-8765}
odoo_url=http://localhost:$http_port
fake_url=http://127.0.0.1:$fake_port
demo_client_id=demo-client.apps.googleusercontent.com
demo_client_secret=demo-client-secret

pids=()
stop_all() {
    trap - INT TERM EXIT
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    echo "[run] stopped"
}
trap stop_all INT TERM EXIT

if db_exists "$db"; then
    created_on=$(db_created_on "$db")
    echo "[run] reusing database $db (created on ${created_on:-?} UTC), its filestore in $GCS_BUILD/data;"
    echo "[run] for a fresh one: make clean (drops it), or GCS_DEMO_DB=<another name> make run"
    echo "[run] updating the module in $db"
    odoo -d "$db" -u google_calendar_sync --stop-after-init
else
    echo "[run] creating database $db with demo data and the module (first run only)"
    # Its filestore starts empty too: nothing left over from a database of that name.
    rm -rf "$GCS_BUILD/data/filestore/$db"
    if [[ $db != gcs_demo ]] && db_exists gcs_demo; then
        echo "[run] (the demo database of earlier versions, gcs_demo, is left alone: dropdb gcs_demo to remove it)"
    fi
    odoo -d "$db" -i google_calendar_sync --with-demo --stop-after-init
fi

if [[ ${GCS_REAL_GOOGLE:-0} != 1 ]]; then
    echo "[run] starting the local Google fake on $fake_url"
    (cd "$repo" && exec "$GCS_VENV/bin/python" -m fake_google --port "$fake_port" \
        --client-id "$demo_client_id" --client-secret "$demo_client_secret" \
        --redirect-uri "$odoo_url/google_account/authentication" \
        --persist "$GCS_BUILD/fake-google-$db.json") &
    pids+=($!)
    # Point the module at the fake: the same system parameters an
    # administrator would change to switch between Google and the fake.
    "$GCS_VENV/bin/python" "$ODOO_SRC_DIR/odoo-bin" shell -c "$GCS_BUILD/odoo.conf" -d "$db" \
        --no-http >/dev/null <<EOF
params = env["ir.config_parameter"].sudo()
for key, value in {
    "web.base.url": "$odoo_url",
    "web.base.url.freeze": "True",
    "google_calendar_sync.client_id": "$demo_client_id",
    "google_calendar_sync.client_secret": "$demo_client_secret",
    "google_calendar_sync.auth_endpoint": "$fake_url/o/oauth2/v2/auth",
    "google_calendar_sync.token_endpoint": "$fake_url/token",
    "google_calendar_sync.revoke_endpoint": "$fake_url/revoke",
    "google_calendar_sync.api_root": "$fake_url",
    # Real-time updates: the fake notifies Odoo on loopback, as Google would
    # over public HTTPS (Settings, Google Calendar, Real-time Updates).
    "google_calendar_sync.push_enabled": "True",
}.items():
    params.set_param(key, value)
env.cr.commit()
EOF
fi

"$GCS_VENV/bin/python" "$ODOO_SRC_DIR/odoo-bin" -c "$GCS_BUILD/odoo.conf" -d "$db" \
    --db-filter="^$db\$" --http-interface "${GCS_HTTP_INTERFACE:-127.0.0.1}" --http-port "$http_port" --log-level info --logfile "$GCS_BUILD/odoo-$db.log" &
pids+=($!)

for _ in $(seq 120); do
    curl -fs -o /dev/null "$odoo_url/web/login" && break
    kill -0 "${pids[-1]}" 2>/dev/null || { echo "[run] Odoo did not start; see $GCS_BUILD/odoo-$db.log"; exit 1; }
    sleep 1
done
cat <<EOF

  Odoo is ready:  $odoo_url   (log: $GCS_BUILD/odoo-$db.log)
  Logins:         admin / admin  (administrator)   demo / demo  (Marc Demo, a user)
EOF
if [[ ${GCS_REAL_GOOGLE:-0} != 1 ]]; then
    cat <<EOF
  Google:         the local fake at $fake_url stands in for Google.
                  Open Calendar, click "Google", type any e-mail on the consent page, Allow.
  Real-time:      Google's push notifications are on: a change made "on Google" reaches
                  Odoo within a second or two, no click needed. Try (your e-mail from the
                  consent page), then look at the calendar in Odoo:
                  curl -s -H 'Content-Type: application/json' $fake_url/_fake/events/create \
                    -d '{"email": "you@example.com", "event": {"summary": "Made on Google",
                         "start": {"dateTime": "$(date -u -d tomorrow +%Y-%m-%dT10:00:00Z)"},
                         "end": {"dateTime": "$(date -u -d tomorrow +%Y-%m-%dT11:00:00Z)"}}}'
EOF
fi
echo "  Ctrl-C stops everything."
wait "${pids[-1]}"
