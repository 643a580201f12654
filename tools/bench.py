"""Performance benchmark of google_calendar_sync against the local Google fake.

Drives Odoo in-process (like a script: ``Registry`` + ``Environment``) on a
benchmark database that ``tools/bench.sh`` builds, and a ``FakeGoogle`` on a
loopback port. Each workload seeds one side, runs the sync the way the module
runs it, then checks both sides: a run that did not sync everything is
reported as a failure, never as a number.

Workloads (issue 7):
  W1  import 2,000 Google events (1,800 timed with 2 guests, 150 all-day,
      50 weekly series of 10) into Odoo
  W2  export 1,000 Odoo events to Google (quota raised)
  W3  no-op sync of a calendar that holds W1's events
  W4  50 edits on each side, then one sync
  W5  the cron: 50 users x 500 Google events each, two cron workers
  WQ  W2 under the default quota (600/min, enforced by the fake too)

Usage (see the README's "Performance" section, readme/DEVELOP.rst):
  make bench                               # everything, ~10 minutes
  tools/bench.sh --workloads W1,W3 --scale 0.1 --repeat 1 --latencies 0
"""

import argparse
import logging
import os
import resource
import statistics
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta

LATENCY_FAULTS = (
    # Network latency is per HTTP request, not per call inside a batch: the
    # fake delays the outer batch request and every GET (reads are never
    # batched by the sync), and the token endpoint.
    {"method": "GET"},
    {"method": "POST", "path": r"^/(batch/|token$)"},
)
CLIENT_ID = "bench-client.apps.googleusercontent.com"
CLIENT_SECRET = "bench-secret"  # noqa: S105 - a loopback fake's client, not a secret


class BenchFailure(Exception):
    """The sync left the two sides different: the run yields no figure."""


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=os.path.join(".build", "odoo.conf"))
    parser.add_argument("--database", default="gcs_bench")
    parser.add_argument("--workloads", default="W1,W2,W3,W4,W5,WQ")
    parser.add_argument("--latencies", default="0,30", help="ms per HTTP request, comma list")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply every volume (0.1 for a quick try)"
    )
    parser.add_argument("--w5-repeat", type=int, default=1, help="runs of W5 (it is the longest)")
    return parser.parse_args(argv)


# ---------------------------------------------------------------------------
# Process figures
# ---------------------------------------------------------------------------


def reset_peak_rss():
    """Start a new peak-RSS measure (Linux: writing 5 to clear_refs resets VmHWM)."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass


def peak_rss_mb():
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Measure:
    """Wall time, SQL queries (every cursor of the process), peak RSS and the
    fake's request log over one ``with`` block."""

    def __init__(self, fake):
        self.fake = fake

    def __enter__(self):
        from odoo import sql_db

        self._sql_db = sql_db
        self.fake.log.clear()
        reset_peak_rss()
        self._queries = sql_db.sql_counter
        self._started = time.perf_counter()
        return self

    def __exit__(self, *exc_info):
        self.seconds = time.perf_counter() - self._started
        self.queries = self._sql_db.sql_counter - self._queries
        self.rss_mb = peak_rss_mb()
        records = self.fake.log.records()
        self.requests = Counter(
            record["operation"] for record in records if not record["batch_part"]
        )
        self.batch_calls = sum(1 for record in records if record["batch_part"])
        self.quota_errors = sum(
            1 for record in records if record["status"] in (403, 429) and not record.get("fault")
        )


class SyncLog(logging.Handler):
    """The sync's one log line per account, kept as (worker thread, seconds)."""

    LOGGER = "odoo.addons.google_calendar_sync.sync.run"

    def __init__(self):
        super().__init__(logging.INFO)
        self.records = []

    def emit(self, record):
        if record.msg.startswith("Google Calendar sync of account"):
            self.records.append((record.threadName, record.args[-1]))

    def __enter__(self):
        logger = logging.getLogger(self.LOGGER)
        self._saved = logger.level, logger.propagate
        logger.setLevel(logging.INFO)
        logger.propagate = False
        logger.addHandler(self)
        return self

    def __exit__(self, *exc_info):
        logger = logging.getLogger(self.LOGGER)
        logger.removeHandler(self)
        logger.level, logger.propagate = self._saved


# ---------------------------------------------------------------------------
# The bench: Odoo registry, fake, users
# ---------------------------------------------------------------------------


class Bench:
    def __init__(self, options):
        import odoo
        from odoo.modules.registry import Registry

        odoo.tools.config.parse_config(["-c", options.config, "-d", options.database])
        from odoo.addons.google_calendar_sync.fake_google import FakeControl, FakeGoogle

        self.options = options
        self.registry = Registry(options.database)
        self.fake = FakeGoogle(
            port=0, clients={CLIENT_ID: {"secret": CLIENT_SECRET, "redirect_uris": None}}
        ).start()
        self.control = FakeControl(self.fake.url)
        self.serial = int(time.time())
        self.set_params(
            {
                "api_root": self.fake.url,
                "token_endpoint": f"{self.fake.url}/token",
                "revoke_endpoint": f"{self.fake.url}/revoke",
                "auth_endpoint": f"{self.fake.url}/o/oauth2/v2/auth",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "send_updates": "all",
                "paused": "",
            }
        )

    def env(self, cr):
        from odoo import SUPERUSER_ID, api

        return api.Environment(cr, SUPERUSER_ID, {})

    def set_params(self, params):
        with self.registry.cursor() as cr:
            set_param = self.env(cr)["ir.config_parameter"].set_param
            for key, value in params.items():
                set_param(f"google_calendar_sync.{key}", value)

    def fresh_fake(self, latency_ms, quota=None):
        """An empty fake with the latency of the run and the given quota."""
        self.control.reset(keep_clients=True)
        for spec in LATENCY_FAULTS if latency_ms else ():
            self.control.inject_fault(mode="latency", latency_ms=latency_ms, probability=1, **spec)
        self.control.set_quota(quota)

    def new_user(self, cr, tag):
        """A fresh Odoo user, its Google user and its connected account."""
        from odoo import fields

        self.serial += 1
        login = f"bench{self.serial}{tag}"
        email = f"{login}@example.com"
        env = self.env(cr)
        user = (
            env["res.users"]
            .with_context(no_reset_password=True, mail_create_nolog=True)
            .create(
                {
                    "name": f"Bench {login}",
                    "login": login,
                    "email": email,
                    "tz": "Europe/Brussels",
                    "group_ids": [(6, 0, [env.ref("base.group_user").id])],
                }
            )
        )
        self.control.add_user(email, time_zone="Europe/Brussels")
        tokens = self.control.issue_tokens(email, CLIENT_ID)
        return env["google.calendar.account"].create(
            {
                "user_id": user.id,
                "state": "connected",
                "google_email": email,
                "access_token": tokens["access_token"],
                "refresh_token": tokens["refresh_token"],
                "access_token_expiry": fields.Datetime.now()
                + timedelta(seconds=int(tokens.get("expires_in", 3599))),
            }
        )

    def sync(self, account_id):
        """One sync of an account in its own transaction, as the cron runs it."""
        with self.registry.cursor() as cr:
            account = self.env(cr)["google.calendar.account"].browse(account_id)
            answer = account._run_sync()
        # "deferred": the request budget ran out before anything was sent;
        # the cron would run the account again, as the caller does.
        if answer["status"] not in ("synced", "deferred"):
            raise BenchFailure(f"sync of account {account_id}: {answer}")
        return answer

    def google_client(self, email):
        """A client acting as the Google user itself (edits made on Google's side)."""
        from google.oauth2.credentials import Credentials

        from odoo.addons.google_calendar_sync.engine.client import CalendarClient

        tokens = self.control.issue_tokens(email, CLIENT_ID)
        credentials = Credentials(
            tokens["access_token"],
            refresh_token=tokens["refresh_token"],
            token_uri=f"{self.fake.url}/token",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
        )
        return CalendarClient(self.fake.url, credentials)


# ---------------------------------------------------------------------------
# Workload data
# ---------------------------------------------------------------------------


def scaled(options, count):
    return max(1, round(count * options.scale))


def google_events(tag, timed, allday, series, guests_pool=200):
    """Google event bodies: ``timed`` with 2 guests, ``allday``, ``series`` weekly x10."""
    base = datetime.now().replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(days=1)
    events = []
    for index in range(timed):
        start = base + timedelta(days=index % 300, hours=index % 9)
        guests = [(index * 7 + offset) % guests_pool for offset in (0, 1)]
        events.append(
            {
                "summary": f"Meeting {index}",
                "description": f"Agenda of meeting {index}",
                "location": f"Room {index % 12}",
                "start": {"dateTime": start.isoformat(), "timeZone": "Europe/Brussels"},
                "end": {
                    "dateTime": (start + timedelta(hours=1)).isoformat(),
                    "timeZone": "Europe/Brussels",
                },
                "attendees": [
                    {
                        "email": f"guest{guest}.{tag}@example.com",
                        "displayName": f"Guest {guest}",
                        "responseStatus": ("accepted", "needsAction", "tentative")[guest % 3],
                    }
                    for guest in guests
                ],
                "reminders": {
                    "useDefault": False,
                    "overrides": [{"method": "popup", "minutes": 10}],
                },
            }
        )
    for index in range(allday):
        day = (base + timedelta(days=index * 2)).date()
        events.append(
            {
                "summary": f"Day off {index}",
                "start": {"date": day.isoformat()},
                "end": {"date": (day + timedelta(days=1)).isoformat()},
                "transparency": "transparent",
            }
        )
    for index in range(series):
        start = base + timedelta(days=index % 7, hours=10)
        events.append(
            {
                "summary": f"Weekly {index}",
                "start": {"dateTime": start.isoformat(), "timeZone": "Europe/Brussels"},
                "end": {
                    "dateTime": (start + timedelta(minutes=30)).isoformat(),
                    "timeZone": "Europe/Brussels",
                },
                "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=10"],
            }
        )
    return events


def odoo_event_vals(count, user):
    base = datetime.utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    return [
        {
            "name": f"Odoo event {index}",
            "start": base + timedelta(days=index % 300, hours=index % 9),
            "stop": base + timedelta(days=index % 300, hours=index % 9 + 1),
            "user_id": user.id,
            "partner_ids": [(6, 0, [user.partner_id.id])],
            "description": f"Notes {index}",
        }
        for index in range(count)
    ]


# ---------------------------------------------------------------------------
# Verification: both sides hold the same events
# ---------------------------------------------------------------------------


def odoo_events(env, account):
    return (
        env["calendar.event"]
        .with_context(active_test=False)
        .search([("google_account_id", "=", account.id)])
    )


def check_sides(bench, cr, account, expect_count=None):
    """Every live single Google event has its Odoo twin with the same name and
    guests, every Odoo event of the account is on Google (an occurrence of a
    series counts as there when its series is), nothing waits for a push.
    Returns (series on Google, series with occurrences in Odoo, occurrences)."""
    env = bench.env(cr)
    on_google = {
        event["id"]: event
        for event in bench.control.events(account.google_email)
        if event.get("status") != "cancelled"
    }
    series_ids = {gid for gid, event in on_google.items() if event.get("recurrence")}
    singles = {
        gid: event
        for gid, event in on_google.items()
        if gid not in series_ids and not event.get("recurringEventId")
    }
    events = odoo_events(env, account)
    by_gid = {event.google_id: event for event in events if event.google_id}
    missing = [gid for gid in singles if gid not in by_gid]
    if missing:
        raise BenchFailure(f"{len(missing)} Google events are not in Odoo (e.g. {missing[0]})")
    occurrences = Counter(
        gid.rsplit("_", 1)[0]
        for gid in by_gid
        if gid not in on_google and gid.rsplit("_", 1)[0] in series_ids
    )
    extra = [
        gid for gid in by_gid if gid not in on_google and gid.rsplit("_", 1)[0] not in series_ids
    ]
    if extra:
        raise BenchFailure(f"{len(extra)} Odoo events are not on Google (e.g. {extra[0]})")
    pending = events.filtered("google_push_pending")
    if pending:
        raise BenchFailure(f"{len(pending)} Odoo events still wait for a push")
    differing = []
    for gid, event in singles.items():
        record = by_gid[gid]
        guests = sorted(a["email"] for a in event.get("attendees", ()))
        odoo_guests = sorted(record.attendee_ids.partner_id.mapped("email_normalized"))
        if record.name != event.get("summary") or guests != odoo_guests:
            differing.append(gid)
    if differing:
        raise BenchFailure(f"{len(differing)} events differ between the sides")
    if expect_count is not None and len(singles) != expect_count:
        raise BenchFailure(f"{len(singles)} events on Google, {expect_count} expected")
    return len(series_ids), len(occurrences), sum(occurrences.values())


def changes(answer):
    """The non-zero change counts of a sync's answer (skipped series are no change)."""
    return {
        key: value
        for key, value in answer.items()
        if isinstance(value, int) and key != "recurring_skipped" and value
    }


def check_idle(bench, account_id):
    """The sync after a complete one changes nothing on either side."""
    changed = changes(bench.sync(account_id))
    if changed:
        raise BenchFailure(f"the next sync is not idle: {changed}")


# ---------------------------------------------------------------------------
# Workloads; each returns (Measure, notes)
# ---------------------------------------------------------------------------


def run_import(bench, latency, state):
    """W1: a first sync that imports the Google calendar."""
    options = bench.options
    timed, allday, series = (scaled(options, n) for n in (1800, 150, 50))
    bench.fresh_fake(latency)
    with bench.registry.cursor() as cr:
        account = bench.new_user(cr, "w1")
        account_id, email = account.id, account.google_email
    bench.control.seed_events(email, google_events(f"w1{bench.serial}", timed, allday, series))
    with Measure(bench.fake) as measure:
        counts = bench.sync(account_id)
    with bench.registry.cursor() as cr:
        account = bench.env(cr)["google.calendar.account"].browse(account_id)
        _series, synced_series, occurrences = check_sides(
            bench, cr, account, expect_count=timed + allday
        )
    check_idle(bench, account_id)
    measure.per_event = measure.queries / (timed + allday + series)
    state["w1_account"] = account_id
    skipped = counts.get("recurring_skipped", 0)
    notes = f"{timed + allday} single events; of {series} series {synced_series} synced"
    notes += f" ({occurrences} occurrences), {skipped} skipped"
    return measure, notes


def complete(answer):
    """Whether a sync did all it had to (nothing deferred, nothing kept for retry)."""
    return answer["status"] == "synced" and not answer.get("errors")


def run_export(bench, latency, state, quota=None):
    """W2 (WQ with ``quota``): one sync pushes 1,000 new Odoo events."""
    count = scaled(bench.options, 1000)
    bench.fresh_fake(latency, quota=quota)
    with bench.registry.cursor() as cr:
        account = bench.new_user(cr, "w2")
        user = account.user_id
        account_id = account.id
        account.last_sync = datetime.utcnow()
        # Paused while the events are created, so the immediate post-commit
        # push does not run: the measured sync does all the work.
        env = bench.env(cr)
        env["ir.config_parameter"].set_param("google_calendar_sync.paused", "True")
        env["calendar.event"].with_user(user).with_context(
            no_mail_to_attendees=True, mail_create_nolog=True
        ).create(odoo_event_vals(count, user))
    bench.set_params({"paused": ""})
    with Measure(bench.fake) as measure:
        # Again while something was deferred or kept for retry, as the cron would.
        syncs = 1
        while not complete(bench.sync(account_id)) and syncs < 10:
            syncs += 1
    with bench.registry.cursor() as cr:
        account = bench.env(cr)["google.calendar.account"].browse(account_id)
        check_sides(bench, cr, account, expect_count=count)
    measure.per_event = measure.queries / count
    return measure, f"{count} events in {syncs} sync(s), {measure.quota_errors} quota errors"


def run_noop(bench, latency, state):
    """W3: a sync with nothing new, on the calendar W1 imported."""
    account_id = state.get("w1_account")
    if account_id is None:
        run_import(bench, latency, state)
        account_id = state["w1_account"]
    bench.fake.faults.clear()
    for spec in LATENCY_FAULTS if latency else ():
        bench.control.inject_fault(mode="latency", latency_ms=latency, probability=1, **spec)
    with Measure(bench.fake) as measure:
        counts = bench.sync(account_id)
    changed = changes(counts)
    if changed:
        raise BenchFailure(f"the no-op sync changed {changed}")
    with bench.registry.cursor() as cr:
        env = bench.env(cr)
        total = len(odoo_events(env, env["google.calendar.account"].browse(account_id)))
    return measure, f"{total} synced events"


def run_edits(bench, latency, state):
    """W4: 50 events edited on Google and 50 others in Odoo, then one sync."""
    account_id = state.get("w1_account")
    if account_id is None:
        run_import(bench, latency, state)
        account_id = state["w1_account"]
    edits = scaled(bench.options, 50)
    round_ = state["w4_round"] = state.get("w4_round", 0) + 1
    from odoo.addons.google_calendar_sync.engine.client import ApiCall

    with bench.registry.cursor() as cr:
        env = bench.env(cr)
        account = env["google.calendar.account"].browse(account_id)
        email = account.google_email
        # Single events only: an edited occurrence is a recurrence matter, not W4's.
        events = odoo_events(env, account).filtered(lambda event: not event.recurrency)
        events = events.sorted("id")
        offset = (round_ - 1) * edits * 2
        on_google = events[offset : offset + edits]
        in_odoo = events[offset + edits : offset + 2 * edits]
        google_ids = on_google.mapped("google_id")
        env["ir.config_parameter"].set_param("google_calendar_sync.paused", "True")
        for event in in_odoo:
            event.with_user(account.user_id).write({"name": f"{event.name} (Odoo edit {round_})"})
    bench.set_params({"paused": ""})
    client = bench.google_client(email)
    outcomes = client.execute_batch(
        [
            ApiCall.patch(
                "primary",
                gid,
                {"summary": f"Google edit {round_} of {gid[:6]}"},
                send_updates="none",
            )
            for gid in google_ids
        ]
    )
    if any(isinstance(outcome, Exception) for outcome in outcomes):
        raise BenchFailure("the Google-side edits failed")
    with Measure(bench.fake) as measure:
        bench.sync(account_id)
    with bench.registry.cursor() as cr:
        account = bench.env(cr)["google.calendar.account"].browse(account_id)
        check_sides(bench, cr, account)
    return measure, f"{edits} + {edits} edits"


def run_many_users(bench, latency, state, workers=2):
    """W5: the cron syncs 50 users x 500 Google events, with two workers."""
    users = scaled(bench.options, 50)
    per_user = scaled(bench.options, 500)
    bench.fresh_fake(latency)
    account_ids = []
    with bench.registry.cursor() as cr:
        env = bench.env(cr)
        # Accounts of earlier runs stay out of this run's cron.
        env["google.calendar.account"].search([]).write({"state": "stopped"})
        for index in range(users):
            account_ids.append(bench.new_user(cr, f"w5u{index}").id)
    for account_id in account_ids:
        with bench.registry.cursor() as cr:
            email = bench.env(cr)["google.calendar.account"].browse(account_id).google_email
        bench.control.seed_events(
            email, google_events(f"w5{bench.serial}", per_user - per_user // 10, per_user // 10, 0)
        )

    def worker():
        with bench.registry.cursor() as cr:
            bench.env(cr)["google.calendar.account"]._cron_sync()

    with Measure(bench.fake) as measure, SyncLog() as syncs:
        threads = [threading.Thread(target=worker, name=f"cron{n}") for n in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    with bench.registry.cursor() as cr:
        env = bench.env(cr)
        for account in env["google.calendar.account"].browse(account_ids):
            check_sides(bench, cr, account, expect_count=per_user)
    measure.per_event = measure.queries / (users * per_user)
    by_worker = Counter(thread for thread, _seconds in syncs.records)
    shares = " + ".join(str(by_worker[thread.name]) for thread in threads)
    slowest = max((seconds for _thread, seconds in syncs.records), default=0)
    return measure, (
        f"{users} users x {per_user} events; accounts synced per worker {shares}, "
        f"longest account {slowest:.1f}s"
    )


WORKLOADS = {
    "W1": ("import 2,000 events", run_import),
    "W2": ("export 1,000 events", run_export),
    "W3": ("no-op sync", run_noop),
    "W4": ("50 + 50 edits", run_edits),
    "W5": ("cron 50 users x 500", run_many_users),
    "WQ": ("export 1,000 at 600/min", None),
}
# W3 and W4 work on the calendar W1 imported, so they run right after it, at
# the same latency, before any workload empties the fake. W5 adds 25,000
# events to the database: it runs last, so that it weighs on no other row.
RUN_GROUPS = (("W1", "W3", "W4", "W2"), ("W5",))


# ---------------------------------------------------------------------------
# Table
# ---------------------------------------------------------------------------


def fmt_requests(counter):
    short = {
        "events.list": "list",
        "batch": "batch",
        "calendars.get": "calendar",
        "oauth.token": "token",
        "events.get": "get",
    }
    parts = [f"{short.get(kind, kind)} {count}" for kind, count in sorted(counter.items())]
    return ", ".join(parts) or "-"


def print_row(name, latency, measures, notes):
    median = statistics.median(m.seconds for m in measures)
    if len(measures) > 1:
        # The spread tells what the median hides on a shared machine.
        fastest, slowest = min(m.seconds for m in measures), max(m.seconds for m in measures)
        notes = f"{notes}; runs {fastest:.2f}-{slowest:.2f} s"
    last = measures[-1]
    http = sum(last.requests.values())
    per_event = getattr(last, "per_event", None)
    per = f"{per_event:.2f}" if per_event is not None else "-"
    print(
        f"| {name:<27} | {latency:>3} | {median:>8.2f} | {http:>5} | "
        f"{fmt_requests(last.requests):<38} | {last.batch_calls:>5} | {last.queries:>6} | "
        f"{per:>5} | {last.rss_mb:>5.0f} | {notes}",
        flush=True,
    )


def print_header(options):
    print(
        f"google_calendar_sync benchmark - {datetime.now():%Y-%m-%d %H:%M}, scale {options.scale}, "
        f"median of {options.repeat}, {os.cpu_count()} CPUs",
        flush=True,
    )
    print(
        "| workload                    | ms  | wall s   | HTTP  | requests by kind"
        "                       | calls | SQL    | SQL/e | RSS MB| notes"
    )
    print(
        "|" + "-" * 29 + "|-----|----------|-------|" + "-" * 40 + "|-------|--------|-------|"
        "-------|------"
    )


def main(argv=None):
    options = parse_args(argv if argv is not None else sys.argv[1:])
    bench = Bench(options)
    wanted = [name.strip().upper() for name in options.workloads.split(",") if name.strip()]
    latencies = [int(value) for value in options.latencies.split(",") if value.strip()]
    failures = 0
    print_header(options)
    # Quota raised for every workload but WQ, as for a project whose quota was increased.
    bench.set_params({"max_requests_per_minute": "100000"})
    for group in RUN_GROUPS:
        for latency in latencies:
            state = {}
            for name in group:
                if name not in wanted:
                    continue
                label, runner = WORKLOADS[name]
                repeat = options.w5_repeat if name == "W5" else options.repeat
                measures = []
                try:
                    for _run in range(repeat):
                        measure, notes = runner(bench, latency, state)
                        measures.append(measure)
                except BenchFailure as failure:
                    failures += 1
                    print(f"| {name} {label:<24} | {latency:>3} | FAILED: {failure}", flush=True)
                    continue
                print_row(f"{name} {label}", latency, measures, notes)
    if "WQ" in wanted:
        bench.set_params({"max_requests_per_minute": "600"})
        try:
            measure, notes = run_export(bench, 0, {}, quota=600)
            print_row("WQ export 1,000 at 600/min", 0, [measure], notes)
            if measure.quota_errors:
                failures += 1
        except BenchFailure as failure:
            failures += 1
            print(f"| WQ                          |   0 | FAILED: {failure}", flush=True)
    bench.fake.stop()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
