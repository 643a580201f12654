"""Performance benchmark of google_calendar_sync against the local Google fake.

Drives Odoo in-process (like a script: ``Registry`` + ``Environment``) on a
benchmark database that ``tools/bench.sh`` builds, and a ``FakeGoogle`` on a
loopback port. Each workload seeds one side, runs the sync the way the module
runs it, then checks both sides: a run that did not sync everything is
reported as a failure, never as a number.

Workloads (issue 7), in-process:
  W1  import 2,000 Google events (1,800 timed with 2 guests, 150 all-day,
      50 weekly series of 10) into Odoo
  W2  export 1,000 Odoo events to Google (quota raised)
  W3  no-op sync of a calendar that holds W1's events
  W4  50 edits on each side, then one sync
  W5  the cron: 50 users x 500 Google events each, two cron workers
  WQ  W2 under the default quota (600/min, enforced by the fake too)
  WC  first sync of a user with 5 calendars of 400 events each (their
      calendar list read, every calendar chosen), then an idle sync
  W6  the cron's first sync of 20,000 Google events (14,700 timed, 1,220
      all-day, 408 weekly series of 10), run after run until complete: the
      longest transaction (a step: a page of 2,500 events, or a push batch),
      peak RSS growth, SQL per event (issue 20)
  W7  W6 with the process killed twice mid-way (at a third and two thirds
      of the listing): the next runs resume from the last commit; no twins,
      total time against W6's
  W8  one cycle of the scheduled sync for 2,000 connected users with nothing
      to do, run by two odoo-bin processes (one cron thread each, two sync
      actions: cron_jobs=2): wall time from the trigger to the last user
      synced, SQL counted inside both servers and Google requests, per user
  W9  the same cycle for 50 users x 500 new Google events: no twins, no user
      synced twice (each server's sync log lines, the fake's listings)

Route workloads: what a user waits for. A real ``odoo-bin`` (the command of
tools/env.sh's ``odoo`` helper, ``--workers=0``, no cron thread, log level
warn) serves the bench database on a loopback port; each user logs in over
HTTP (``/web/session/authenticate``) and the measured request is the POST to
``/google_calendar_sync/sync`` that the Google button sends. Their calendars
are seeded in bulk and imported by one in-process sync first (untimed), then
the database is vacuumed and analyzed, and each user syncs once through the
route (warm server caches; it must be idle) before anything is measured.
  W3R   the Google button on W1's calendar (2,450 events), nothing new
  W4R   on that calendar: 50 events edited on Google (in turn their title,
        times, guests, reminders) and 50 others saved by the user through the
        server's ``web_save`` (the same four kinds), then the Google button;
        the saves are made while the bench holds the account's sync lock, so
        that their immediate push waits for the measured sync (as W4 pauses)
  W4RL  W4R on a calendar of 20,000 events (14,700 timed, 1,220 all-day,
        408 weekly series of 10)
For these rows "SQL" is counted by the server: Odoo's log line of the
request (logger werkzeug) ends with the queries, seconds in SQL and seconds
outside SQL of the request's thread, from its arrival to its response
(session check, routing, the sync, the commit, post-commit work); "SQL/e" is
per changed event (100 in W4R); "RSS" is odoo-bin's peak during the request;
the notes give the server's time, its SQL part, and odoo-bin's CPU time.

Push workload: what a colleague waits for once Google notifies Odoo.
  WP    a real odoo-bin with one cron thread (as in production) serves the
        bench database, push notifications on (web.base.url on loopback):
        the fake POSTs its notifications to odoo-bin's notification route,
        whose trigger wakes the cron thread, which syncs the account. Each
        round edits one event's title on Google (the fake's control API, as
        someone in Google Calendar) and measures until Odoo's database holds
        the new title (polled every 10 ms); rounds are spaced beyond the
        per-account minimum interval (set to 1 s for the bench, 15 s by
        default), so each shows one change's latency. The row gives the
        median, the notes the p95 and the Google requests of the last round.

Usage (see the README's "Performance" section, readme/DEVELOP.rst):
  make bench                               # everything, ~6 minutes
  tools/bench.sh --workloads W1,W3 --scale 0.1 --repeat 1 --latencies 0
  tools/bench.sh --workloads W3R,W4R,W4RL --latencies 30
  tools/bench.sh --workloads W4R --repeat 1 --latencies 30 --route-sql-log /tmp/sql
  tools/bench.sh --workloads W4R --repeat 1 --latencies 30 --route-profile /tmp/prof
"""

import argparse
import functools
import logging
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from types import SimpleNamespace

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
    parser.add_argument("--workloads", default="W1,W2,W3,W4,W5,WC,W6,W7,W8,W9,WQ,W3R,W4R,W4RL,WP")
    parser.add_argument("--push-rounds", type=int, default=20, help="WP: edits measured")
    parser.add_argument("--latencies", default="0,30", help="ms per HTTP request, comma list")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply every volume (0.1 for a quick try)"
    )
    parser.add_argument("--w5-repeat", type=int, default=1, help="runs of W5 (it is the longest)")
    parser.add_argument(
        "--http-port",
        type=int,
        default=0,
        help="odoo-bin's port for the route rows (0: a free one)",
    )
    parser.add_argument("--fake-port", type=int, default=0, help="the fake's port (0: a free one)")
    parser.add_argument(
        "--route-sql-log",
        metavar="DIR",
        help="route rows: log every query of the server; each measured request's in DIR/<run>.log "
        "(slower: the figures are for reading, not comparing)",
    )
    parser.add_argument(
        "--route-profile",
        metavar="DIR",
        help="route rows: cProfile each measured Sync request inside odoo-bin, DIR/<run>.prof",
    )
    return parser.parse_args(argv)


# ---------------------------------------------------------------------------
# Process figures
# ---------------------------------------------------------------------------


def reset_peak_rss(pid="self"):
    """Start a new peak-RSS measure of a process of ours (Linux: writing 5 to
    clear_refs resets VmHWM)."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass


def peak_rss_mb(pid="self"):
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 if pid == "self" else 0


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
        count_google_requests(self, self.fake)


def count_google_requests(measure, fake):
    """The fake's log since it was cleared: HTTP requests by kind, calls inside
    batches, quota refusals (not the injected faults)."""
    records = fake.log.records()
    measure.requests = Counter(
        record["operation"] for record in records if not record["batch_part"]
    )
    measure.batch_calls = sum(1 for record in records if record["batch_part"])
    measure.quota_errors = sum(
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
        level, logger.propagate = self._saved
        # setLevel, not an assignment: it also clears the loggers' cache of
        # what is enabled, or the sync would go on logging INFO after W5.
        logger.setLevel(level)


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
            port=options.fake_port,
            clients={CLIENT_ID: {"secret": CLIENT_SECRET, "redirect_uris": None}},
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
        self.set_latency(latency_ms)
        self.control.set_quota(quota)

    def set_latency(self, latency_ms):
        """Every HTTP request to the fake is answered ``latency_ms`` later."""
        self.fake.faults.clear()
        for spec in LATENCY_FAULTS if latency_ms else ():
            self.control.inject_fault(mode="latency", latency_ms=latency_ms, probability=1, **spec)

    def new_user(self, cr, tag, password=None):
        """A fresh Odoo user, its Google user and its connected account; with
        ``password``, the user can log in over HTTP (the route rows)."""
        from odoo import fields

        self.serial += 1
        login = f"bench{self.serial}{tag}"
        email = f"{login}@example.com"
        env = self.env(cr)
        user_vals = {
            "name": f"Bench {login}",
            "login": login,
            "email": email,
            "tz": "Europe/Brussels",
            "group_ids": [(6, 0, [env.ref("base.group_user").id])],
        }
        if password:
            user_vals["password"] = password
        user = (
            env["res.users"]
            .with_context(no_reset_password=True, mail_create_nolog=True)
            .create(user_vals)
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

    def new_users(self, cr, tag, count):
        """``count`` users as ``new_user`` makes them, created together."""
        from odoo import fields

        env = self.env(cr)
        logins = []
        for _number in range(count):
            self.serial += 1
            logins.append(f"bench{self.serial}{tag}")
        users = (
            env["res.users"]
            .with_context(no_reset_password=True, mail_create_nolog=True, tracking_disable=True)
            .create(
                [
                    {
                        "name": f"Bench {login}",
                        "login": login,
                        "email": f"{login}@example.com",
                        "tz": "Europe/Brussels",
                        "group_ids": [(6, 0, [env.ref("base.group_user").id])],
                    }
                    for login in logins
                ]
            )
        )
        values = []
        for user in users:
            self.control.add_user(user.email, time_zone="Europe/Brussels")
            tokens = self.control.issue_tokens(user.email, CLIENT_ID)
            values.append(
                {
                    "user_id": user.id,
                    "state": "connected",
                    "google_email": user.email,
                    "access_token": tokens["access_token"],
                    "refresh_token": tokens["refresh_token"],
                    "access_token_expiry": fields.Datetime.now()
                    + timedelta(seconds=int(tokens.get("expires_in", 3599))),
                }
            )
        return env["google.calendar.account"].create(values)

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
        # Within the sync's window (365 days) however many there are.
        day = (base + timedelta(days=index * 2 % 300)).date()
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
        attendees = record.attendee_ids
        if (
            len(attendees) == 1
            and attendees.partner_id == record.user_id.partner_id
            and attendees.state == "accepted"
        ):
            # The owner of a meeting without guests attends it in Odoo only.
            attendees = attendees.browse()
        odoo_guests = sorted(attendees.partner_id.mapped("email_normalized"))
        if record.name != event.get("summary") or guests != odoo_guests:
            differing.append(gid)
    if differing:
        raise BenchFailure(f"{len(differing)} events differ between the sides")
    if expect_count is not None and len(singles) != expect_count:
        raise BenchFailure(f"{len(singles)} events on Google, {expect_count} expected")
    return len(series_ids), len(occurrences), sum(occurrences.values())


def changes(answer):
    """The non-zero change counts of a sync's answer (skipped series are no
    change, and the id of the run's history row no count)."""
    return {
        key: value
        for key, value in answer.items()
        if isinstance(value, int) and key not in ("recurring_skipped", "history_id") and value
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
    bench.set_latency(latency)
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


# ---------------------------------------------------------------------------
# Route workloads: a real odoo-bin, the Sync route over HTTP
# ---------------------------------------------------------------------------

ROUTE_PASSWORD = "bench-route-password"  # noqa: S105 - a bench user of a loopback server
SYNC_ROUTE = "/google_calendar_sync/sync"
# Odoo's log line of a request (logger ``werkzeug``, INFO), ended by Odoo's own
# figures of the request's thread (odoo.netsvc.PerfFilter): queries, seconds
# in SQL, seconds outside SQL. "-" when an earlier log record of the request
# took them (each request's figures go to the first record it logs).
REQUEST_LINE = re.compile(
    r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d+) \S+ '
    r"(?P<queries>\d+|-) (?P<sql>[\d.]+|-) (?P<rest>[\d.]+|-)\s*$",
    re.MULTILINE,
)
# The line each sync logs (sync.run SyncRun.log), in a cron server's log.
SYNC_LINE = re.compile(r"Google Calendar sync of account (\d+):")
# One query in the log of odoo.sql_db at DEBUG level (--route-sql-log).
QUERY_LINE = re.compile(r" odoo\.sql_db: \[(?P<ms>[\d.]+) ms\] query: ")
# Google calendars of the route rows: (timed, all-day, weekly series of 10).
ROUTE_CALENDARS = {
    "2,450": (1800, 150, 50),  # W1's calendar
    "20,000": (14700, 1220, 408),
}


class Killed(BaseException):
    """W7: the process running the cron dies (not an error a sync catches)."""


def current_rss_mb():
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Transactions:
    """The longest transaction of the cron's syncs: from an account's start
    (its cursor) to its first commit, between two commits of its steps, and
    from the last one to its end."""

    def __init__(self, bench):
        self.bench = bench
        self.longest = 0.0
        self.count = 0
        self._mark = None

    def __enter__(self):
        from odoo.addons.google_calendar_sync.models import google_calendar_synchronizer

        Account = self.bench.registry["google.calendar.account"]
        steps = google_calendar_synchronizer.SyncSteps
        self._patched = [(Account, "_cron_sync_one"), (steps, "commit")]
        self._originals = [getattr(owner, name) for owner, name in self._patched]
        one, commit = self._originals
        transactions = self

        def timed_one(account, *args, **kwargs):
            transactions._start()
            try:
                return one(account, *args, **kwargs)
            finally:
                transactions._end()

        def timed_commit(step):
            commit(step)
            transactions._end()
            transactions._start()

        Account._cron_sync_one = timed_one
        steps.commit = timed_commit
        return self

    def _start(self):
        self._mark = time.monotonic()

    def _end(self):
        if self._mark is not None:
            self.longest = max(self.longest, time.monotonic() - self._mark)
            self.count += 1
            self._mark = None

    def __exit__(self, *exc_info):
        for (owner, name), original in zip(self._patched, self._originals, strict=True):
            setattr(owner, name, original)


def cron_until_synced(bench, account_id, kill_at_pages=()):
    """Cron runs until the account's first sync is complete; with
    ``kill_at_pages``, the process dies when the listing reaches each of those
    pages (once each): its transaction is lost, the next run resumes."""
    from odoo.addons.google_calendar_sync.sync.run import SyncRun

    apply_items = SyncRun._apply_items
    pages, kills = [0], list(kill_at_pages)

    def dying(run, *args, **kwargs):
        pages[0] += 1
        if kills and pages[0] >= kills[0]:
            kills.pop(0)
            raise Killed
        return apply_items(run, *args, **kwargs)

    SyncRun._apply_items = dying
    runs = killed = 0
    try:
        while True:
            runs += 1
            if runs > 200:
                raise BenchFailure("the first sync never completed")
            try:
                with bench.registry.cursor() as cr:
                    bench.env(cr)["google.calendar.account"]._cron_sync()
            except Killed:
                killed += 1
                continue
            with bench.registry.cursor() as cr:
                account = bench.env(cr)["google.calendar.account"].browse(account_id)
                if account.last_sync:
                    return runs, killed
                if account.state != "connected":
                    raise BenchFailure(f"account in state {account.state}: {account.last_error}")
    finally:
        SyncRun._apply_items = apply_items


def run_large_first_sync(bench, latency, state, kills=0):
    """W6 (W7 with ``kills``): the cron's first sync of 20,000 Google events,
    in committed steps (2,500 events a page) and runs of its budget."""
    options = bench.options
    timed, allday, series = (scaled(options, n) for n in ROUTE_CALENDARS["20,000"])
    bench.fresh_fake(latency)
    with bench.registry.cursor() as cr:
        # The other accounts of the database wait: this row measures one.
        env = bench.env(cr)
        env["google.calendar.account"].search([("state", "=", "connected")]).write(
            {"state": "stopped"}
        )
        account = bench.new_user(cr, "w6")
        account_id, email = account.id, account.google_email
    bench.control.seed_events(email, google_events(f"w6{bench.serial}", timed, allday, series))
    pages = -(-(timed + allday + series) // 2500)
    kill_at = [max(pages * (n + 1) // (kills + 1), 1) + n for n in range(kills)]
    rss_before = current_rss_mb()
    with Measure(bench.fake) as measure, Transactions(bench) as transactions:
        runs, killed = cron_until_synced(bench, account_id, kill_at)
    with bench.registry.cursor() as cr:
        account = bench.env(cr)["google.calendar.account"].browse(account_id)
        _series, synced_series, occurrences = check_sides(
            bench, cr, account, expect_count=timed + allday
        )
        twins = odoo_events(bench.env(cr), account).filtered(lambda event: not event.recurrence_id)
        if len(twins) != timed + allday:
            raise BenchFailure(f"{len(twins)} single events in Odoo, {timed + allday} on Google")
    check_idle(bench, account_id)
    measure.per_event = measure.queries / (timed + allday + series)
    state.setdefault("w6_seconds", measure.seconds)
    notes = (
        f"{timed + allday} single events, {synced_series} series ({occurrences} occurrences); "
        f"{runs} cron runs, {killed} killed; {transactions.count} transactions, longest "
        f"{transactions.longest:.1f} s; RSS growth {measure.rss_mb - rss_before:.0f} MB"
    )
    if kills and "w6_seconds" in state:
        notes += f"; {measure.seconds / state['w6_seconds']:.2f}x W6"
    return measure, notes


class CycleMeasure:
    """W8, W9: figures of a cron cycle run by odoo-bin processes (``Measure``'s
    fields, the SQL counted inside each server)."""

    def __init__(self, seconds, queries, rss_mb, fake):
        self.seconds, self.queries, self.rss_mb = seconds, queries, rss_mb
        count_google_requests(self, fake)


def run_cron_cycle(bench, latency, state, users, per_user, servers=2):
    """W8, W9: one cycle of the scheduled sync, run by ``servers`` odoo-bin
    processes (one cron thread each) and as many sync actions (system
    parameter cron_jobs): ``users`` connected users with ``per_user`` Google
    events each (W8: none, and synced once before, so that the cycle finds
    nothing to do)."""
    from odoo import fields

    users = scaled(bench.options, users)
    per_user = scaled(bench.options, per_user) if per_user else 0
    bench.fresh_fake(latency)
    account_ids = []
    with bench.registry.cursor() as cr:
        env = bench.env(cr)
        # Accounts of earlier runs, and the other scheduled actions, stay out.
        env["google.calendar.account"].search([]).write({"state": "stopped"})
        for start in range(0, users, 200):
            account_ids += bench.new_users(cr, "cy", min(200, users - start)).ids
            cr.commit()
        emails = env["google.calendar.account"].browse(account_ids).mapped("google_email")
    for email in emails if per_user else ():
        bench.control.seed_events(
            email, google_events(f"cy{bench.serial}", per_user - per_user // 10, per_user // 10, 0)
        )
    if not per_user:
        # Idle users: their first sync (untimed) is done; the cycle finds them due.
        def first_syncs():
            with bench.registry.cursor() as cr:
                bench.env(cr)["google.calendar.account"]._cron_sync()

        for _round in range(10):  # each call stops at the run's budget
            threads = [threading.Thread(target=first_syncs) for _n in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            with bench.registry.cursor() as cr:
                accounts = bench.env(cr)["google.calendar.account"].browse(account_ids)
                if all(accounts.mapped("sync_token")):
                    break
    bench.set_params({"cron_jobs": str(servers)})
    with bench.registry.cursor() as cr:
        env = bench.env(cr)
        Account = env["google.calendar.account"]
        accounts = Account.browse(account_ids)
        if not per_user and not all(accounts.mapped("sync_token")):
            raise BenchFailure("the idle users' first sync did not complete")
        if not per_user:
            # Synced an hour ago: due in this cycle (the W9 users' first sync is).
            accounts.write({"last_sync": fields.Datetime.now() - timedelta(hours=1)})
        Account._apply_cron_jobs()
        actions = env["ir.cron"].search([("code", "=", "model._cron_sync()")])
        # Active again after the cycle: later rows (WP) need theirs.
        paused = env["ir.cron"].search([("id", "not in", actions.ids)])
        paused.write({"active": False})
        actions.write({"active": True, "nextcall": fields.Datetime.now() + timedelta(days=1)})
        env["ir.cron.trigger"].search([]).unlink()
    processes = [OdooServer(bench.options, f"cron{n}", cron=True) for n in range(servers)]
    try:
        for process in processes:
            process.start()
        for process in processes:
            reset_peak_rss(process.process.pid)
        time.sleep(1)
        sql_before = [process.sql_count() for process in processes]
        bench.fake.log.clear()
        with bench.registry.cursor() as cr:
            cr.execute("SELECT now() AT TIME ZONE 'UTC'")
            [cycle_start] = cr.fetchone()
        started = time.perf_counter()
        with bench.registry.cursor() as cr:
            for action in bench.env(cr)["ir.cron"].browse(actions.ids):
                action._trigger()  # wakes every cron thread (NOTIFY on commit)
        while True:
            with bench.registry.cursor() as cr:
                done = bench.env(cr)["google.calendar.account"].search_count(
                    [("id", "in", account_ids), ("last_sync", ">=", cycle_start)]
                )
            if done == users:
                break
            if time.perf_counter() - started > 900:
                raise BenchFailure(f"{users - done} users not synced after 15 minutes")
            time.sleep(0.2)
        seconds = time.perf_counter() - started
        time.sleep(1)  # the last progress and log lines
        queries = sum(p.sql_count() - b for p, b in zip(processes, sql_before, strict=True))
        rss = max(peak_rss_mb(process.process.pid) for process in processes)
        synced = [process.synced_accounts() for process in processes]
    finally:
        for process in processes:
            process.stop()
        with bench.registry.cursor() as cr:
            paused.with_env(bench.env(cr)).write({"active": True})
    measure = CycleMeasure(seconds, queries, rss, bench.fake)
    by_account = Counter(account for lines in synced for account in lines)
    twice = [account for account in account_ids if by_account[account] > 1]
    if twice:
        raise BenchFailure(f"{len(twice)} users synced more than once in the cycle")
    lists = Counter(
        record["email"]
        for record in bench.fake.log.records()
        if record["operation"] == "events.list"
    )
    if max(lists.values(), default=0) > 1:
        raise BenchFailure("a user's calendar was listed twice in the cycle")
    if per_user:
        with bench.registry.cursor() as cr:
            for account in bench.env(cr)["google.calendar.account"].browse(account_ids):
                check_sides(bench, cr, account, expect_count=per_user)
        measure.per_event = measure.queries / (users * per_user)
    else:
        measure.per_event = None
    shares = " + ".join(str(len({a for a in lines if a in account_ids})) for lines in synced)
    http = sum(measure.requests.values())
    return measure, (
        f"{users} users x {per_user} events, {servers} odoo-bin; users synced per process "
        f"{shares}, none twice; per user {measure.queries / users:.1f} SQL, "
        f"{http / users:.2f} HTTP"
    )


def cpu_seconds(pid):
    """User + system CPU time a process of ours has used (Linux)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # utime and stime, fields 14 and 15 of proc(5), counted from the state (3).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OdooServer:
    """A real ``odoo-bin`` serving the bench database on a loopback port.

    The command of tools/env.sh's ``odoo`` helper (the project's config file),
    threaded (``--workers=0``), no cron thread (nothing runs beside the
    requests we send), log level warn plus Odoo's request lines, in a log file
    of its own. With ``--route-profile`` it runs through tools/bench_server.py,
    which profiles the labelled Sync requests.
    """

    def __init__(self, options, name="odoo", cron=False):
        self.options = options
        # ``cron``: one cron thread, the sync's log lines, the SQL count (W8, W9).
        self.cron = cron
        self.port = options.http_port if options.http_port and not cron else free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        logs = os.path.dirname(os.path.abspath(options.config))
        self.log_path = os.path.join(logs, f"bench-{options.database}-{name}.log")
        self.sql_count_path = self.log_path + ".sql"
        self.process = None

    def command(self):
        from odoo import release

        # tools/env.sh exports the Odoo source its ``odoo`` helper runs.
        source = os.environ.get("ODOO_SRC_DIR") or os.path.dirname(
            os.path.dirname(os.path.abspath(release.__file__))
        )
        odoo_bin = os.path.join(source, "odoo-bin")
        database = self.options.database
        args = [
            "-c",
            self.options.config,
            "-d",
            database,
            f"--db-filter=^{re.escape(database)}$",
            "--http-interface=127.0.0.1",
            f"--http-port={self.port}",
            "--workers=0",
            f"--max-cron-threads={1 if self.cron else 0}",
            "--log-level=warn",
            "--log-handler=werkzeug:INFO",
            f"--logfile={self.log_path}",
        ]
        if self.options.route_sql_log:
            args.append("--log-handler=odoo.sql_db:DEBUG")
        if self.cron:
            args.append("--log-handler=odoo.addons.google_calendar_sync.sync.run:INFO")
        if self.options.route_profile or self.cron:
            wrapper = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench_server.py")
            return [sys.executable, wrapper, odoo_bin, *args]
        return [sys.executable, odoo_bin, *args]

    def start(self, timeout=120):
        import requests

        open(self.log_path, "w").close()
        environ = dict(os.environ)
        if self.options.route_profile and not self.cron:
            os.makedirs(self.options.route_profile, exist_ok=True)
            environ["GCS_BENCH_PROFILE"] = os.path.abspath(self.options.route_profile)
        if self.cron:
            environ["GCS_BENCH_SQL_COUNT"] = self.sql_count_path
        with open(self.log_path + ".out", "w") as output:
            # Only what Odoo prints before its logging starts lands here.
            self.process = subprocess.Popen(  # noqa: S603 - our own odoo-bin, fixed arguments
                self.command(), stdout=output, stderr=subprocess.STDOUT, env=environ
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchFailure(f"odoo-bin stopped at start; see {self.log_path}(.out)")
            try:
                if requests.get(f"{self.url}/web/health", timeout=5).ok:
                    return self
            except requests.RequestException:
                pass  # not listening yet, or too busy starting to answer
            time.sleep(0.5)
        self.stop()
        raise BenchFailure(f"odoo-bin did not answer within {timeout} s; see {self.log_path}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_size(self):
        return os.path.getsize(self.log_path)

    def sql_count(self):
        """The queries odoo-bin has run so far (``cron`` servers)."""
        with open(self.sql_count_path) as handle:
            return int(handle.read())

    def synced_accounts(self):
        """The ids of the accounts whose sync this server logged, with repeats."""
        with open(self.log_path) as handle:
            return [int(m) for m in SYNC_LINE.findall(handle.read())]

    def log_since(self, offset):
        with open(self.log_path, encoding="utf-8", errors="replace") as handle:
            handle.seek(offset)
            return handle.read()


class RouteClient:
    """A user's browser session: JSON-RPC as Odoo's web client sends it."""

    def __init__(self, server):
        import requests

        self.server = server
        self.http = requests.Session()
        self.context = {}
        self._ids = iter(range(1, 1 << 62))

    def rpc(self, path, params, headers=None):
        response = self.http.post(
            self.server.url + path,
            json={"jsonrpc": "2.0", "method": "call", "params": params, "id": next(self._ids)},
            headers=headers,
            timeout=600,
        )
        response.raise_for_status()
        answer = response.json()
        if "error" in answer:
            error = answer["error"]
            raise BenchFailure(f"{path}: {error.get('data', {}).get('message') or error}")
        return answer["result"]

    def login(self, login, password):
        """``/web/session/authenticate``, as the login page does."""
        info = self.rpc(
            "/web/session/authenticate",
            {"db": self.server.options.database, "login": login, "password": password},
        )
        if not info.get("uid"):
            raise BenchFailure(f"{login} could not log in")
        self.context = info.get("user_context") or {}
        return self

    def call_kw(self, model, method, args, kwargs=None):
        return self.rpc(
            f"/web/dataset/call_kw/{model}/{method}",
            {
                "model": model,
                "method": method,
                "args": args,
                "kwargs": {**(kwargs or {}), "context": self.context},
            },
        )

    def sync(self, label=None):
        """The Google button: POST the Sync route. ``label`` names the request
        for --route-profile."""
        headers = {"X-Bench-Label": label} if label else None
        return self.rpc(SYNC_ROUTE, {"return_path": "/odoo/calendar"}, headers=headers)


class RouteMeasure:
    """One request to the Sync route: wall time at the client; the server's
    own figures of that request, from its log line (queries, seconds in SQL
    and outside it); the server's peak RSS; the fake's request log."""

    def __init__(self, bench, server, label):
        self.bench = bench
        self.server = server
        self.label = label

    def __enter__(self):
        self.bench.fake.log.clear()
        reset_peak_rss(self.server.process.pid)
        self._offset = self.server.log_size()
        self._cpu = cpu_seconds(self.server.process.pid)
        self._started = time.perf_counter()
        return self

    def __exit__(self, exc_type, *exc_info):
        self.seconds = time.perf_counter() - self._started
        # The server runs nothing else (no cron thread, no other client).
        self.cpu_seconds = cpu_seconds(self.server.process.pid) - self._cpu
        if exc_type is not None:
            return
        self.rss_mb = peak_rss_mb(self.server.process.pid)
        count_google_requests(self, self.bench.fake)
        text = self.server.log_since(self._offset)
        lines = [m for m in REQUEST_LINE.finditer(text) if m["path"] == SYNC_ROUTE]
        if len(lines) != 1:
            raise BenchFailure(
                f"{len(lines)} log lines of the Sync request: {self.server.log_path}"
            )
        line = lines[0]
        errors = [row for row in text.splitlines() if " ERROR " in row or " CRITICAL " in row]
        if errors:
            raise BenchFailure(f"the server logged an error: {errors[0]}")
        before = text[: line.start()]
        options = self.bench.options
        if options.route_sql_log:
            # Each query's DEBUG record took the request's figures: count them.
            queries = list(QUERY_LINE.finditer(before))
            self.queries = len(queries)
            self.sql_seconds = sum(float(query["ms"]) for query in queries) / 1000
            self.server_seconds = None
            os.makedirs(options.route_sql_log, exist_ok=True)
            with open(os.path.join(options.route_sql_log, f"{self.label}.log"), "w") as handle:
                handle.write(before)
        elif line["queries"] == "-":
            raise BenchFailure(
                "an earlier log record of the Sync request took its figures; see "
                + self.server.log_path
            )
        else:
            self.queries = int(line["queries"])
            self.sql_seconds = float(line["sql"])
            self.server_seconds = self.sql_seconds + float(line["rest"])

    @staticmethod
    def server_note(measures):
        """The server's time for the request, its part waiting for SQL, and the
        CPU time odoo-bin used meanwhile (medians)."""
        sql = statistics.median(m.sql_seconds for m in measures)
        cpu = statistics.median(m.cpu_seconds for m in measures)
        if any(m.server_seconds is None for m in measures):
            return f"SQL {sql:.2f} s (query log on), odoo-bin CPU {cpu:.2f} s"
        server = statistics.median(m.server_seconds for m in measures)
        return f"server {server:.2f} s, of which SQL {sql:.2f} s; odoo-bin CPU {cpu:.2f} s"


class RouteCalendar:
    """A user who can log in, with a connected Google calendar imported once."""

    def __init__(self, account_id, email, login, tag, size):
        self.account_id = account_id
        self.email = email
        self.login = login
        self.tag = tag
        self.size = size
        self.rounds = 0
        self.client = None


def route_calendar(bench, size):
    """A calendar of ``size`` (ROUTE_CALENDARS) seeded in bulk and imported by
    one sync in-process, untimed, then checked on both sides."""
    timed, allday, series = (scaled(bench.options, n) for n in ROUTE_CALENDARS[size])
    with bench.registry.cursor() as cr:
        account = bench.new_user(cr, "route", password=ROUTE_PASSWORD)
        calendar = RouteCalendar(
            account.id, account.google_email, account.user_id.login, f"r{bench.serial}", size
        )
    bodies = google_events(calendar.tag, timed, allday, series)
    for start in range(0, len(bodies), 5000):
        bench.control.seed_events(calendar.email, bodies[start : start + 5000])
    bench.sync(calendar.account_id)
    with bench.registry.cursor() as cr:
        account = bench.env(cr)["google.calendar.account"].browse(calendar.account_id)
        check_sides(bench, cr, account, expect_count=timed + allday)
        calendar.events = len(odoo_events(bench.env(cr), account))
    check_idle(bench, calendar.account_id)
    return calendar


def run_label(state, prefix):
    """A name for one measured request (--route-profile, --route-sql-log)."""
    state["runs"] = state.get("runs", 0) + 1
    return f"{prefix}-{state['runs']}"


def settle_database(database):
    """VACUUM ANALYZE after the imports: the planner's statistics and the
    visibility map of a database in use, not of tables that just received
    tens of thousands of rows (autovacuum would otherwise run, unpredictably,
    during the first measured rows and compete for the CPUs)."""
    import psycopg2

    from odoo.sql_db import connection_info_for

    _name, params = connection_info_for(database)
    connection = psycopg2.connect(**params)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    finally:
        connection.close()


def check_route_idle(calendar):
    answer = calendar.client.sync()
    if answer.get("status") != "synced" or changes(answer):
        raise BenchFailure(f"the Sync route is not idle: {answer}")


def run_route_idle(bench, latency, state):
    """W3R: the Google button on W1's calendar, nothing new on either side."""
    calendar = state["calendars"]["2,450"]
    label = run_label(state, f"W3R-{latency}ms")
    with RouteMeasure(bench, state["server"], label) as measure:
        answer = calendar.client.sync(label)
    if answer.get("status") != "synced" or changes(answer):
        raise BenchFailure(f"the idle sync answered {answer}")
    return measure, f"{calendar.events} synced events"


def edit_on_google(bench, calendar, google_ids, round_):
    """Mixed edits made on Google: titles, times, guests, reminders (in turn)."""
    from odoo.addons.google_calendar_sync.engine.client import ApiCall

    client = bench.google_client(calendar.email)
    current = dict(
        zip(
            google_ids,
            client.execute_batch([ApiCall.get("primary", gid) for gid in google_ids]),
            strict=True,
        )
    )
    calls = []
    for index, gid in enumerate(google_ids):
        event = current[gid]
        if isinstance(event, Exception):
            raise BenchFailure(f"Google event {gid}: {event}")
        kind = index % 4
        if kind == 0:
            body = {"summary": f"Google edit {round_} of {event['summary']}"}
        elif kind == 1:
            body = {
                edge: {
                    "dateTime": (
                        datetime.fromisoformat(event[edge]["dateTime"]) + timedelta(hours=1)
                    ).isoformat(),
                    "timeZone": event[edge].get("timeZone", "Europe/Brussels"),
                }
                for edge in ("start", "end")
            }
        elif kind == 2:
            guest = f"guest{(index * 13 + round_) % 200}.{calendar.tag}@example.com"
            attendees = [a for a in event.get("attendees", ()) if a["email"] != guest]
            body = {"attendees": [*attendees, {"email": guest, "responseStatus": "needsAction"}]}
        else:
            overrides = [{"method": "popup", "minutes": 30}, {"method": "email", "minutes": 60}]
            body = {"reminders": {"useDefault": False, "overrides": overrides}}
        calls.append(ApiCall.patch("primary", gid, body, send_updates="none"))
    if any(isinstance(outcome, Exception) for outcome in client.execute_batch(calls)):
        raise BenchFailure("the Google-side edits failed")


def edit_in_odoo(bench, calendar, events, round_):
    """Mixed edits saved by the user through the running server's ``web_save``,
    as the form view saves them: titles, times, guests, reminders (in turn).

    Each save pushes right after its commit, unless a sync of the account is
    running: this holds the account's sync lock meanwhile (the sync's own
    advisory lock), so the 50 edits wait for the measured sync, like W4's
    pause. Nothing else is changed, no cache of the server is cleared.
    """
    from odoo.addons.google_calendar_sync.models.google_calendar_synchronizer import (
        _LOCK_NAMESPACE,
    )

    env = events.env
    guests = env["res.partner"].search(
        [("email", "=like", f"%.{calendar.tag}@example.com")], limit=len(events)
    )
    alarms = env["calendar.alarm"].search([], order="id", limit=2)
    specification = {
        "name": {},
        "start": {},
        "stop": {},
        "partner_ids": {"fields": {"display_name": {}}},
        "alarm_ids": {"fields": {"display_name": {}}},
    }
    stamp = "%Y-%m-%d %H:%M:%S"
    with bench.registry.cursor() as lock_cr:
        lock_cr.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, calendar.account_id]
        )
        for index, event in enumerate(events):
            kind = index % 4
            if kind == 0:
                vals = {"name": f"{event.name} (Odoo edit {round_})"}
            elif kind == 1:
                vals = {
                    "start": (event.start + timedelta(hours=1)).strftime(stamp),
                    "stop": (event.stop + timedelta(hours=1)).strftime(stamp),
                }
            elif kind == 2:
                turn = index % max(len(guests), 1)
                guest = next(
                    (g for g in guests[turn:] + guests[:turn] if g not in event.partner_ids), None
                )
                if guest is None:
                    raise BenchFailure(f"no contact to invite to event {event.id}")
                vals = {"partner_ids": [(4, guest.id)]}
            else:
                vals = {"alarm_ids": [(6, 0, alarms.ids)]}
            calendar.client.call_kw(
                "calendar.event", "web_save", [[event.id], vals], {"specification": specification}
            )
        lock_cr.rollback()


def run_route_edits(bench, latency, state, size):
    """W4R / W4RL: 50 events edited on Google and 50 others saved in Odoo by
    the user, then the Google button."""
    calendar = state["calendars"][size]
    edits = scaled(bench.options, 50)
    calendar.rounds += 1
    round_ = calendar.rounds
    with bench.registry.cursor() as cr:
        env = bench.env(cr)
        account = env["google.calendar.account"].browse(calendar.account_id)
        # Timed single events: an edited occurrence is a recurrence matter.
        events = odoo_events(env, account).filtered(
            lambda event: not event.recurrency and not event.allday
        )
        events = events.sorted("id")
        offset = (round_ - 1) * edits * 2
        on_google = events[offset : offset + edits]
        in_odoo = events[offset + edits : offset + 2 * edits]
        google_ids = on_google.mapped("google_id")
        edit_on_google(bench, calendar, google_ids, round_)
        edit_in_odoo(bench, calendar, in_odoo, round_)
        odoo_ids = in_odoo.ids
    with bench.registry.cursor() as cr:
        waiting = bench.env(cr)["calendar.event"].browse(odoo_ids).filtered("google_push_pending")
        if len(waiting) != edits:
            raise BenchFailure(f"{edits - len(waiting)} Odoo edits were pushed before the sync")
    label = run_label(state, f"W4R-{size.replace(',', '')}-{latency}ms")
    with RouteMeasure(bench, state["server"], label) as measure:
        answer = calendar.client.sync(label)
    if answer.get("status") != "synced" or answer.get("errors"):
        raise BenchFailure(f"the sync answered {answer}")
    with bench.registry.cursor() as cr:
        account = bench.env(cr)["google.calendar.account"].browse(calendar.account_id)
        check_sides(bench, cr, account)
    check_route_idle(calendar)
    measure.per_event = measure.queries / (2 * edits)
    return measure, (
        f"{calendar.events} events, {edits} + {edits} edits (odoo_updated "
        f"{answer.get('odoo_updated', 0)}, google_updated {answer.get('google_updated', 0)})"
    )


ROUTE_WORKLOADS = {
    "W3R": ("idle, route, 2,450", run_route_idle, ("2,450",)),
    "W4R": (
        "50+50, route, 2,450",
        lambda bench, latency, state: run_route_edits(bench, latency, state, "2,450"),
        ("2,450",),
    ),
    "W4RL": (
        "50+50, route, 20,000",
        lambda bench, latency, state: run_route_edits(bench, latency, state, "20,000"),
        ("20,000",),
    ),
}


def run_route_group(bench, wanted, latencies):
    """The route rows: their calendars imported in-process (untimed), then one
    odoo-bin for all of them; each user logs in and syncs once (warm caches,
    and the check that the calendar is idle) before anything is measured.
    Returns the number of failed rows."""
    names = [name for name in ROUTE_WORKLOADS if name in wanted]
    if not names:
        return 0
    state = {"calendars": {}}
    server = None
    try:
        bench.fresh_fake(0)
        for name in names:
            for size in ROUTE_WORKLOADS[name][2]:
                if size not in state["calendars"]:
                    state["calendars"][size] = route_calendar(bench, size)
        settle_database(bench.options.database)
        server = state["server"] = OdooServer(bench.options).start()
        print(f"(route rows: odoo-bin on {server.url}, log {server.log_path})", flush=True)
        for calendar in state["calendars"].values():
            calendar.client = RouteClient(server).login(calendar.login, ROUTE_PASSWORD)
            check_route_idle(calendar)
        failures = 0
        for latency in latencies:
            bench.set_latency(latency)
            for name in names:
                label, runner, _sizes = ROUTE_WORKLOADS[name]
                repeat = bench.options.repeat
                failures += run_rows(bench, name, label, runner, latency, state, repeat)
        return failures
    except BenchFailure as failure:
        print(f"| route rows                  |   - | FAILED: {failure}", flush=True)
        return len(names)
    finally:
        if server:
            server.stop()


def run_several_calendars(bench, latency, state, calendars=5):
    """WC: the first sync of a user with 5 calendars of 400 events each (their
    calendar list read, every calendar chosen), then an idle sync."""
    per_calendar = scaled(bench.options, 400)
    bench.fresh_fake(latency)
    with bench.registry.cursor() as cr:
        account = bench.new_user(cr, "wc")
        account_id, email = account.id, account.google_email
    secondary = [f"wc-{n}-{bench.serial}@group.calendar.google.com" for n in range(1, calendars)]
    bench.control.add_user(
        email,
        time_zone="Europe/Brussels",
        calendars=[{"summary": f"Calendar {n}", "id": cid} for n, cid in enumerate(secondary, 1)],
    )
    for number, calendar_id in enumerate(["primary", *secondary]):
        bodies = google_events(f"wcc{number}{bench.serial}", per_calendar, 0, 0)
        bench.control.seed_events(email, bodies, calendar_id=calendar_id)
    with bench.registry.cursor() as cr:
        account = bench.env(cr)["google.calendar.account"].browse(account_id)
        account._google_refresh_calendars()
        account.calendar_ids.write({"selected": True})
    with Measure(bench.fake) as measure:
        bench.sync(account_id)
    with bench.registry.cursor() as cr:
        env = bench.env(cr)
        listed = env["google.calendar.calendar"].search([("account_id", "=", account_id)])
        if len(listed) != calendars:
            raise BenchFailure(f"{len(listed)} calendars listed, {calendars} expected")
        for calendar in listed:
            held = env["calendar.event"].search_count([("google_calendar_id", "=", calendar.id)])
            if held != per_calendar:
                raise BenchFailure(
                    f"{calendar.name}: {held} events in Odoo, {per_calendar} on Google"
                )
        if env["calendar.event"].search_count(
            [("google_calendar_id", "in", listed.ids), ("google_push_pending", "=", True)]
        ):
            raise BenchFailure("events of the calendars still wait for a push")
    check_idle(bench, account_id)
    measure.per_event = measure.queries / (per_calendar * calendars)
    return measure, f"{calendars} calendars x {per_calendar} events"


PUSH_PARAMS = {"push_enabled": "True", "push_min_interval_seconds": "1"}


def run_push_group(bench, wanted, latencies):
    """WP: the time from an edit on Google to Odoo, with push notifications.
    Returns the number of failed rows."""
    if "WP" not in wanted:
        return 0
    from odoo import fields

    failures = 0
    server = None
    try:
        bench.fresh_fake(0)
        with bench.registry.cursor() as cr:
            # The accounts of earlier rows wait: the server's cron thread
            # would sync them first (W8 leaves 2,000), before it opens the
            # channel this row measures.
            bench.env(cr)["google.calendar.account"].search([("state", "=", "connected")]).write(
                {"state": "stopped"}
            )
            account = bench.new_user(cr, "push")
            account_id, email = account.id, account.google_email
        google_ids = bench.control.seed_events(
            email, google_events(f"p{bench.serial}", timed=20, allday=0, series=0)
        )
        bench.sync(account_id)
        server = OdooServer(bench.options, name="push", cron=True)
        with bench.registry.cursor() as cr:
            params = bench.env(cr)["ir.config_parameter"]
            params.set_param("web.base.url", server.url)
            params.set_param("web.base.url.freeze", "True")
        bench.set_params(PUSH_PARAMS)
        server.start()
        print(f"(push row: odoo-bin with a cron thread on {server.url})", flush=True)
        # Opened by odoo-bin's cron thread, as after a user's first sync.
        with bench.registry.cursor() as cr:
            bench.env(cr).ref("google_calendar_sync.ir_cron_push_renew")._trigger()
        channel = wait_for(lambda: push_channel(bench, account_id, with_message=True), timeout=30)
        if not channel:
            raise BenchFailure("the watch channel received no handshake from the fake")
        for latency in latencies:
            bench.set_latency(latency)
            seconds = []
            for round_ in range(bench.options.push_rounds):
                time.sleep(1.5)  # beyond the account's minimum interval
                title = f"Push {latency}ms {round_} {fields.Datetime.now()}"
                bench.fake.log.clear()
                started = time.perf_counter()
                bench.control.edit_event(
                    email, google_ids[round_ % len(google_ids)], {"summary": title}
                )
                if not wait_for(lambda t=title: odoo_title_is(bench, account_id, t), timeout=90):
                    raise BenchFailure(f"round {round_}: the edit did not reach Odoo in 90 s")
                seconds.append(time.perf_counter() - started)
                last_round = SimpleNamespace()
                count_google_requests(last_round, bench.fake)
            print_push_row(latency, seconds, last_round.requests)
    except BenchFailure as failure:
        print(f"| WP Google edit -> Odoo      |   - | FAILED: {failure}", flush=True)
        failures += 1
    finally:
        if server:
            server.stop()
        bench.set_params({"push_enabled": ""})
    return failures


def wait_for(condition, timeout, every=0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(every)
    return None


def push_channel(bench, account_id, with_message=False):
    with bench.registry.cursor() as cr:
        domain = [("account_id", "=", account_id)]
        if with_message:
            domain.append(("last_message_at", "!=", False))
        return bench.env(cr)["google.calendar.channel"].search_count(domain)


def odoo_title_is(bench, account_id, title):
    with bench.registry.cursor() as cr:
        return bench.env(cr)["calendar.event"].search_count(
            [("google_account_id", "=", account_id), ("name", "=", title)]
        )


def print_push_row(latency, seconds, requests):
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(
        f"| {'WP Google edit -> Odoo':<27} | {latency:>3} | {statistics.median(seconds):>8.2f} | "
        f"{sum(requests.values()):>5} | {fmt_requests(requests):<38} | {'-':>5} | {'-':>6} | "
        f"{'-':>5} | {'-':>5} | push: p95 {p95:.2f} s, {ordered[0]:.2f}-{ordered[-1]:.2f} s over "
        f"{len(seconds)} edits (from the edit on Google to Odoo's database)",
        flush=True,
    )


WORKLOADS = {
    "W1": ("import 2,000 events", run_import),
    "W2": ("export 1,000 events", run_export),
    "W3": ("no-op sync", run_noop),
    "W4": ("50 + 50 edits", run_edits),
    "W5": ("cron 50 users x 500", run_many_users),
    "WC": ("5 calendars x 400, import", run_several_calendars),
    "W6": ("cron first sync 20,000", run_large_first_sync),
    "W7": ("W6 killed twice", functools.partial(run_large_first_sync, kills=2)),
    "W8": ("cycle 2,000 idle users", functools.partial(run_cron_cycle, users=2000, per_user=0)),
    "W9": ("cycle 50 users x 500", functools.partial(run_cron_cycle, users=50, per_user=500)),
    "WQ": ("export 1,000 at 600/min", None),
}
# W3 and W4 work on the calendar W1 imported, so they run right after it, at
# the same latency, before any workload empties the fake. W5 adds 25,000
# events to the database: it runs last, so that it weighs on no other row.
RUN_GROUPS = (("W1", "W3", "W4", "W2"), ("WC",), ("W5",), ("W6", "W7"), ("W8", "W9"))
# The rows of large calendars and many users take minutes each: they run once,
# at the last latency asked for (30 ms in make bench).
SCALE_ROWS = frozenset({"W6", "W7", "W8", "W9"})


# ---------------------------------------------------------------------------
# Table
# ---------------------------------------------------------------------------


def fmt_requests(counter):
    short = {
        "events.list": "list",
        "batch": "batch",
        "calendars.get": "calendar",
        "calendarList.list": "calendarList",
        "oauth.token": "token",
        "events.get": "get",
    }
    parts = [f"{short.get(kind, kind)} {count}" for kind, count in sorted(counter.items())]
    return ", ".join(parts) or "-"


def print_row(name, latency, measures, notes):
    median = statistics.median(m.seconds for m in measures)
    if isinstance(measures[0], RouteMeasure):
        notes = f"{notes}; {RouteMeasure.server_note(measures)}"
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


def run_rows(bench, name, label, runner, latency, state, repeat):
    """``repeat`` runs of one workload at one latency, then its row; returns
    the number of failures (0 or 1)."""
    measures = []
    try:
        for _run in range(repeat):
            measure, notes = runner(bench, latency, state)
            measures.append(measure)
    except BenchFailure as failure:
        print(f"| {name} {label:<24} | {latency:>3} | FAILED: {failure}", flush=True)
        return 1
    print_row(f"{name} {label}", latency, measures, notes)
    return 0


def main(argv=None):
    options = parse_args(argv if argv is not None else sys.argv[1:])
    bench = Bench(options)
    wanted = [name.strip().upper() for name in options.workloads.split(",") if name.strip()]
    latencies = [int(value) for value in options.latencies.split(",") if value.strip()]
    failures = 0
    print_header(options)
    # Quota raised for every workload but WQ, as for a project whose quota was
    # increased; no cap on the contacts a sync makes for guests (default 100),
    # so that every Google guest is an Odoo attendee and both sides compare.
    bench.set_params({"max_requests_per_minute": "100000", "max_new_contacts_per_sync": "100000"})
    for group in RUN_GROUPS:
        for latency in latencies:
            state = {}
            for name in group:
                if name not in wanted or (name in SCALE_ROWS and latency != latencies[-1]):
                    continue
                label, runner = WORKLOADS[name]
                repeat = options.w5_repeat if name == "W5" else options.repeat
                if name in SCALE_ROWS:
                    repeat = 1
                failures += run_rows(bench, name, label, runner, latency, state, repeat)
    # After W5, which stops every account it did not create.
    failures += run_route_group(bench, wanted, latencies)
    failures += run_push_group(bench, wanted, latencies)
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
