"""Recurring series both ways against the local Google fake.

Every test asserts the exact occurrences on both sides (local date and time in the
series' zone, title), then syncs again and asserts that nothing moved and nothing
was written (idempotence).
"""

import calendar
from datetime import date, datetime, timedelta

import pytz

from odoo import Command
from odoo.tests import tagged

from ..engine.ratelimit import RetryPolicy
from .sync_common import SyncCase

ANN = "ann@example.com"
GUEST = "gus@external.example"


class WorkerKilled(Exception):
    """Stands for a worker dying before its commit."""


BOB = "bob@example.com"
BRUSSELS = "Europe/Brussels"


def last_weekday(year, month, weekday):
    """The last ``weekday`` (0 = Monday) of a month."""
    day = date(year, month, calendar.monthrange(year, month)[1])
    return day - timedelta(days=(day.weekday() - weekday) % 7)


def upcoming_year():
    """A year whose March and October are both ahead and inside the sync window."""
    today = date.today()
    return today.year + 1 if today.month >= 3 else today.year


def local_spec(moment, tz=BRUSSELS):
    """Google's {dateTime, timeZone} for a naive local time in ``tz``."""
    return {"dateTime": pytz.timezone(tz).localize(moment).isoformat(), "timeZone": tz}


class RecurrenceCase(SyncCase):
    def setUp(self):
        super().setUp()
        self.account = self.connect(self.ann)

    # -- writing Odoo -------------------------------------------------------------

    def create_series(self, name, first_local, **rule):
        """A weekly series made in Odoo by Ann, Mondays from ``first_local`` (a
        naive Brussels time); ``rule`` overrides the rule (``count``, ...)."""
        start = pytz.timezone(BRUSSELS).localize(first_local).astimezone(pytz.utc)
        start = start.replace(tzinfo=None)
        return (
            self.env["calendar.event"]
            .with_user(self.ann)
            .create(
                {
                    "name": name,
                    "start": start,
                    "stop": start + timedelta(hours=1),
                    "recurrency": True,
                    "rrule_type": "weekly",
                    "mon": True,
                    "interval": 1,
                    "end_type": "count",
                    "event_tz": BRUSSELS,
                    **rule,
                }
            )
            .sudo()
        )

    # -- reading both sides -------------------------------------------------------

    def series(self, google_id):
        return self.env["calendar.recurrence"].search([("google_id", "=", google_id)])

    @staticmethod
    def odoo_rows(events, tz=BRUSSELS):
        """(local start, title) of events: 'YYYY-MM-DD HH:MM' or 'YYYY-MM-DD' (all-day)."""
        rows = []
        zone = pytz.timezone(tz)
        for event in events.sorted("start"):
            if event.allday:
                rows.append((event.start_date.isoformat(), event.name))
            else:
                moment = pytz.utc.localize(event.start).astimezone(zone)
                rows.append((moment.strftime("%Y-%m-%d %H:%M"), event.name))
        return rows

    def odoo_series_rows(self, google_id, tz=BRUSSELS):
        return self.odoo_rows(self.series(google_id).calendar_event_ids, tz)

    def google_rows(self, series_id, tz=BRUSSELS, email=ANN):
        """(local start, title) of the live instances of a Google series."""
        client = self.account._get_client() if email == ANN else self.bob_account._get_client()
        zone = pytz.timezone(tz)
        rows = []
        # Without a bound Google stops expanding a couple of years ahead.
        horizon = datetime.now() + timedelta(days=3660)
        for instance in client.instances("primary", series_id, time_max=horizon):
            if instance.get("status") == "cancelled":
                continue
            start = instance["start"]
            if "date" in start:
                rows.append((start["date"], instance.get("summary", "")))
            else:
                moment = datetime.fromisoformat(start["dateTime"]).astimezone(zone)
                rows.append((moment.strftime("%Y-%m-%d %H:%M"), instance.get("summary", "")))
        return sorted(rows)

    def assert_both(self, series_id, expected, tz=BRUSSELS):
        self.assertEqual(self.odoo_series_rows(series_id, tz), expected, "Odoo occurrences")
        self.assertEqual(self.google_rows(series_id, tz), expected, "Google instances")

    def assert_idle_resync(self, series_ids, expected_by_series, tz=BRUSSELS):
        """A second sync with no change writes nothing and keeps both sides."""
        before = len(self.writes(ANN))
        counts = self.sync(self.account)
        self.assertEqual(len(self.writes(ANN)), before, "an idle sync writes nothing to Google")
        for key in ("odoo_created", "odoo_updated", "odoo_deleted", "errors"):
            self.assertEqual(counts[key], 0, f"idle sync: {key} {counts}")
        for series_id, expected in zip(series_ids, expected_by_series, strict=True):
            self.assert_both(series_id, expected, tz)

    # -- writing Google -----------------------------------------------------------

    def seed_series(self, summary, start, rule_lines, tz=BRUSSELS, hours=1, **extra):
        body = {
            "summary": summary,
            "start": local_spec(start, tz),
            "end": local_spec(start + timedelta(hours=hours), tz),
            "recurrence": rule_lines,
            **extra,
        }
        [master] = self.seed(ANN, body)
        return master

    def google_client(self):
        return self.account._get_client()

    @staticmethod
    def stamp(moment, tz=BRUSSELS):
        """Instance id suffix of a local start."""
        utc = pytz.timezone(tz).localize(moment).astimezone(pytz.utc)
        return utc.strftime("%Y%m%dT%H%M%SZ")


def rows(moments, title, fmt="%Y-%m-%d %H:%M"):
    return [(moment.strftime(fmt), title) for moment in moments]


@tagged("post_install", "-at_install")
class TestRecurrenceFromGoogle(RecurrenceCase):
    def test_weekly_brussels_series_across_both_dst_changes(self):
        year = upcoming_year()
        spring = last_weekday(year, 3, 6)  # last Sunday of March
        autumn = last_weekday(year, 10, 6)  # last Sunday of October
        # Mondays around each change, at 09:00 Brussels time.
        first = datetime.combine(spring - timedelta(days=13), datetime.min.time()).replace(hour=9)
        master = self.seed_series(
            "Team meeting",
            first,
            [f"RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL={(spring + timedelta(days=2)):%Y%m%d}T235959Z"],
        )
        autumn_first = datetime.combine(autumn - timedelta(days=6), datetime.min.time()).replace(
            hour=9
        )
        autumn_master = self.seed_series(
            "Autumn sync", autumn_first, ["RRULE:FREQ=WEEKLY;COUNT=3;BYDAY=MO"]
        )
        self.sync(self.account)
        spring_rows = rows([first + timedelta(weeks=n) for n in range(3)], "Team meeting")
        autumn_rows = rows([autumn_first + timedelta(weeks=n) for n in range(3)], "Autumn sync")
        self.assert_both(master["id"], spring_rows)
        self.assert_both(autumn_master["id"], autumn_rows)
        # UTC times move with DST, local times do not.
        utc_hours = sorted({e.start.hour for e in self.series(master["id"]).calendar_event_ids})
        self.assertEqual(utc_hours, [7, 8])
        recurrence = self.series(master["id"])
        self.assertEqual(recurrence.event_tz, BRUSSELS)
        self.assertFalse(recurrence.google_push_pending)
        self.assertEqual(self.writes(ANN), [], "an import writes nothing to Google")
        self.assert_idle_resync([master["id"], autumn_master["id"]], [spring_rows, autumn_rows])

    def test_monthly_last_friday_series(self):
        year = upcoming_year()
        first_day = last_weekday(year, 1, 4)
        first = datetime.combine(first_day, datetime.min.time()).replace(hour=16)
        master = self.seed_series(
            "Monthly review", first, ["RRULE:FREQ=MONTHLY;COUNT=4;BYDAY=-1FR"]
        )
        self.sync(self.account)
        expected = [
            (f"{last_weekday(year, month, 4):%Y-%m-%d} 16:00", "Monthly review")
            for month in (1, 2, 3, 4)
        ]
        self.assert_both(master["id"], expected)
        recurrence = self.series(master["id"])
        self.assertEqual(
            (recurrence.rrule_type, recurrence.month_by, recurrence.byday, recurrence.weekday),
            ("monthly", "day", "-1", "FRI"),
        )
        self.assert_idle_resync([master["id"]], [expected])

    def test_allday_yearly_series_with_exdate(self):
        year = upcoming_year()
        first = date(year, 2, 14)
        [master] = self.seed(
            ANN,
            {
                "summary": "Anniversary",
                "start": {"date": first.isoformat()},
                "end": {"date": (first + timedelta(days=1)).isoformat()},
                "recurrence": [
                    "RRULE:FREQ=YEARLY;COUNT=4",
                    f"EXDATE;VALUE=DATE:{year + 1}0214",
                ],
            },
        )
        self.sync(self.account)
        expected = [(f"{y}-02-14", "Anniversary") for y in (year, year + 2, year + 3)]
        self.assertEqual(self.odoo_series_rows(master["id"]), expected)
        self.assertEqual(self.google_rows(master["id"]), expected)
        self.assertTrue(all(self.series(master["id"]).calendar_event_ids.mapped("allday")))
        self.assert_idle_resync([master["id"]], [expected])


@tagged("post_install", "-at_install")
class TestRecurrenceEditedOnGoogle(RecurrenceCase):
    def setUp(self):
        super().setUp()
        self.first = datetime.combine(
            date.today() + timedelta(days=7 - date.today().weekday() + 7), datetime.min.time()
        ).replace(hour=10)  # a Monday at least a week ahead, 10:00 Brussels
        self.master = self.seed_series(
            "Standup", self.first, ["RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=MO"]
        )
        self.sync(self.account)
        self.starts = [self.first + timedelta(weeks=n) for n in range(4)]
        self.event_ids = self.series(self.master["id"]).calendar_event_ids.ids

    def instance(self, n):
        return f"{self.master['id']}_{self.stamp(self.starts[n])}"

    def test_occurrence_moved_on_google_moves_that_occurrence(self):
        moved = self.starts[1] + timedelta(days=1, hours=4)  # Tuesday 14:00
        self.google_client().patch_event(
            "primary",
            self.instance(1),
            {
                "start": local_spec(moved),
                "end": local_spec(moved + timedelta(hours=1)),
                "summary": "Standup (moved)",
            },
            send_updates="none",
        )
        self.sync(self.account)
        expected = [
            *rows([self.starts[0]], "Standup"),
            (moved.strftime("%Y-%m-%d %H:%M"), "Standup (moved)"),
            *rows(self.starts[2:], "Standup"),
        ]
        self.assert_both(self.master["id"], expected)
        recurrence = self.series(self.master["id"])
        self.assertEqual(
            sorted(recurrence.calendar_event_ids.ids), sorted(self.event_ids), "no new event"
        )
        moved_event = recurrence.calendar_event_ids.filtered(lambda e: e.name == "Standup (moved)")
        self.assertFalse(moved_event.follow_recurrence)
        self.assertEqual(moved_event.google_id, self.instance(1))
        self.assert_idle_resync([self.master["id"]], [expected])

    def test_occurrence_cancelled_on_google_disappears_in_odoo(self):
        self.google_client().delete_event("primary", self.instance(2), send_updates="none")
        counts = self.sync(self.account)
        self.assertEqual(counts["odoo_deleted"], 1)
        expected = rows([self.starts[n] for n in (0, 1, 3)], "Standup")
        self.assert_both(self.master["id"], expected)
        self.assertFalse(self.env["google.calendar.outbox"].sudo().search([]))
        self.assert_idle_resync([self.master["id"]], [expected])

    def test_all_events_edit_on_google_reaches_every_occurrence(self):
        bob = {"email": BOB, "responseStatus": "needsAction"}
        self.google_client().patch_event(
            "primary",
            self.master["id"],
            {"summary": "Weekly standup", "location": "Room 2", "attendees": [bob]},
            send_updates="none",
        )
        self.sync(self.account)
        expected = rows(self.starts, "Weekly standup")
        self.assert_both(self.master["id"], expected)
        events = self.series(self.master["id"]).calendar_event_ids
        self.assertEqual(sorted(events.ids), sorted(self.event_ids), "the series was not recreated")
        self.assertEqual(set(events.mapped("location")), {"Room 2"})
        self.assertTrue(all(BOB in e.partner_ids.mapped("email") for e in events))
        self.assert_idle_resync([self.master["id"]], [expected])

    def test_series_time_change_on_google_keeps_records(self):
        later = self.first.replace(hour=11)
        self.google_client().patch_event(
            "primary",
            self.master["id"],
            {"start": local_spec(later), "end": local_spec(later + timedelta(hours=1))},
            send_updates="none",
        )
        self.sync(self.account)
        expected = rows([start.replace(hour=11) for start in self.starts], "Standup")
        self.assert_both(self.master["id"], expected)
        events = self.series(self.master["id"]).calendar_event_ids
        self.assertEqual(sorted(events.ids), sorted(self.event_ids))
        self.assert_idle_resync([self.master["id"]], [expected])

    def test_this_and_following_split_on_google(self):
        client = self.google_client()
        split_at = self.starts[2]
        until = pytz.timezone(BRUSSELS).localize(split_at).astimezone(pytz.utc) - timedelta(
            seconds=1
        )
        client.patch_event(
            "primary",
            self.master["id"],
            {"recurrence": [f"RRULE:FREQ=WEEKLY;UNTIL={until:%Y%m%dT%H%M%SZ};BYDAY=MO"]},
            send_updates="none",
        )
        new_start = split_at.replace(hour=15)
        new_id = f"{self.master['id']}r{split_at:%Y%m%d}"
        client.insert_event(
            "primary",
            {
                "id": new_id,
                "summary": "Standup (afternoon)",
                "start": local_spec(new_start),
                "end": local_spec(new_start + timedelta(hours=1)),
                "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=2;BYDAY=MO"],
            },
            send_updates="none",
        )
        self.sync(self.account)
        old_rows = rows(self.starts[:2], "Standup")
        new_rows = rows([new_start, new_start + timedelta(weeks=1)], "Standup (afternoon)")
        self.assert_both(self.master["id"], old_rows)
        self.assert_both(new_id, new_rows)
        standups = self.env["calendar.event"].search([("name", "like", "Standup")])
        self.assertEqual(len(standups), 4, "no leftover occurrence after the split")
        self.assert_idle_resync([self.master["id"], new_id], [old_rows, new_rows])

    def test_rule_extended_on_google_adds_occurrences(self):
        self.google_client().patch_event(
            "primary",
            self.master["id"],
            {"recurrence": ["RRULE:FREQ=WEEKLY;COUNT=6;BYDAY=MO"]},
            send_updates="none",
        )
        self.sync(self.account)
        expected = rows([self.first + timedelta(weeks=n) for n in range(6)], "Standup")
        self.assert_both(self.master["id"], expected)
        events = self.series(self.master["id"]).calendar_event_ids
        self.assertTrue(set(self.event_ids) <= set(events.ids), "the first four are kept")
        self.assert_idle_resync([self.master["id"]], [expected])

    def test_series_deleted_on_google_deleted_in_odoo(self):
        self.google_client().delete_event("primary", self.master["id"], send_updates="none")
        writes_before = len(self.writes(ANN))
        self.sync(self.account)
        self.assertFalse(self.series(self.master["id"]))
        self.assertFalse(self.env["calendar.event"].browse(self.event_ids).exists())
        self.assertFalse(self.env["google.calendar.outbox"].sudo().search([]))
        self.assertEqual(len(self.writes(ANN)), writes_before, "nothing sent back to Google")

    def test_full_resync_after_410_keeps_one_series(self):
        moved = self.starts[3] + timedelta(hours=2)
        self.google_client().patch_event(
            "primary",
            self.instance(3),
            {"start": local_spec(moved), "end": local_spec(moved + timedelta(hours=1))},
            send_updates="none",
        )
        self.sync(self.account)
        self.fake_control.expire_sync_tokens(ANN)
        self.sync(self.account)
        expected = rows(self.starts[:3], "Standup") + rows([moved], "Standup")
        self.assert_both(self.master["id"], expected)
        self.assertEqual(len(self.env["calendar.recurrence"].search([])), 1)
        self.assertEqual(len(self.env["calendar.event"].search([("name", "=", "Standup")])), 4)
        self.fake_control.expire_sync_tokens(ANN)
        self.assert_idle_resync([self.master["id"]], [expected])

    def test_google_series_edit_keeps_an_odoo_edit_of_one_occurrence(self):
        events = self.series(self.master["id"]).calendar_event_ids.sorted("start")
        events[1].write({"name": "Standup with guests", "recurrence_update": "self_only"})
        self.google_client().patch_event(
            "primary", self.master["id"], {"location": "Room 9"}, send_updates="none"
        )
        self.sync(self.account)
        expected = [
            *rows(self.starts[:1], "Standup"),
            *rows(self.starts[1:2], "Standup with guests"),
            *rows(self.starts[2:], "Standup"),
        ]
        self.assert_both(self.master["id"], expected)
        self.assertEqual(set(events.mapped("location")), {"Room 9"})
        self.assert_idle_resync([self.master["id"]], [expected])

    def test_series_renamed_on_both_sides_keeps_the_latest(self):
        events = self.series(self.master["id"]).calendar_event_ids
        events[0].write({"name": "Odoo title", "recurrence_update": "all_events"})
        self.google_client().patch_event(
            "primary", self.master["id"], {"summary": "Google title"}, send_updates="none"
        )
        counts = self.sync(self.account)
        self.assertEqual(counts["conflicts"], 1)
        expected = rows(self.starts, "Google title")
        self.assert_both(self.master["id"], expected)
        base = self.series(self.master["id"]).base_event_id
        self.assertTrue(any("Odoo title" in body for body in self.chatter(base)))
        self.assert_idle_resync([self.master["id"]], [expected])

    def test_occurrence_moved_on_google_then_deleted_in_odoo(self):
        moved = self.starts[1] + timedelta(hours=5)
        self.google_client().patch_event(
            "primary",
            self.instance(1),
            {"start": local_spec(moved), "end": local_spec(moved + timedelta(hours=1))},
            send_updates="none",
        )
        self.sync(self.account)
        self.event_of(self.instance(1)).unlink()
        self.sync(self.account)
        expected = rows([self.starts[n] for n in (0, 2, 3)], "Standup")
        self.assert_both(self.master["id"], expected)
        self.assertEqual(self.google_events(ANN)[self.instance(1)]["status"], "cancelled")
        self.assertFalse(self.env["google.calendar.outbox"].sudo().search([]))
        self.assert_idle_resync([self.master["id"]], [expected])


@tagged("post_install", "-at_install")
class TestRecurrenceFromOdoo(RecurrenceCase):
    def setUp(self):
        super().setUp()
        # Mondays at 10:00 Brussels across the October change to winter time.
        autumn = last_weekday(upcoming_year(), 10, 6)
        self.first = datetime.combine(autumn - timedelta(days=13), datetime.min.time()).replace(
            hour=10
        )
        self.starts = [self.first + timedelta(weeks=n) for n in range(4)]
        self.base = self.create_series("Sprint review", self.first, count=4)
        self.recurrence = self.base.recurrence_id
        self.sync(self.account)

    def occurrence(self, n):
        return self.recurrence.calendar_event_ids.sorted("start")[n]

    def masters(self):
        return [
            event
            for event in self.google_events(ANN).values()
            if event.get("recurrence") and event.get("status") != "cancelled"
        ]

    def test_series_created_in_odoo_is_one_google_master(self):
        [master] = self.masters()
        self.assertEqual(master["id"], self.recurrence.google_id)
        self.assertEqual(master["start"]["timeZone"], BRUSSELS)
        self.assertEqual(master["recurrence"], ["RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=MO"])
        expected = rows(self.starts, "Sprint review")
        self.assert_both(master["id"], expected)
        inserts = [w for w in self.writes(ANN) if w["operation"] == "events.insert"]
        self.assertEqual(len(inserts), 1, "one insert for the whole series")
        self.assertEqual(
            sorted(self.recurrence.calendar_event_ids.mapped("google_id")),
            sorted(f"{master['id']}_{self.stamp(start)}" for start in self.starts),
        )
        self.assert_idle_resync([master["id"]], [expected])

    def test_series_insert_lost_before_commit_creates_no_twin(self):
        second = self.create_series("Retro", self.first + timedelta(hours=3), count=2)

        # Google stores the series, then the sync's transaction is lost.
        with self.assertRaises(WorkerKilled), self.env.cr.savepoint():
            self.sync(self.account)
            self.assertEqual([m["summary"] for m in self.masters()].count("Retro"), 1)
            raise WorkerKilled
        self.env.invalidate_all()
        self.assertFalse(second.recurrence_id.google_etag)

        self.sync(self.account)
        retros = [m for m in self.masters() if m["summary"] == "Retro"]
        self.assertEqual(len(retros), 1, "the retried insert met 409 instead of a twin")
        self.assertEqual(retros[0]["id"], second.recurrence_id.google_id)
        self.assertFalse(second.recurrence_id.google_push_pending)
        self.assertEqual(
            self.env["calendar.recurrence"].search_count([("google_id", "=", retros[0]["id"])]),
            1,
            "the pull did not import the stored series as a second one",
        )
        self.assertEqual(
            self.env["calendar.event"].search_count([("name", "=", "Retro")]), 2, "no twin"
        )

    def push_series_with_lost_answer(self, name, client=None):
        """A series Ann creates in Odoo, pushed (``client``: the account's own)
        while the answer to its master's insert is lost after Google stored it."""
        base = self.create_series(name, self.first + timedelta(hours=3), count=2)
        self.fake_control.inject_fault(
            mode="drop_after_apply", method="POST", path="batch", count=1
        )
        self.Sync._push_account(self.account, client or self.account._get_client())
        return base.recurrence_id

    def assert_one_master_agreed(self, recurrence, name="Retro"):
        # A list, not a dict by id: a twin has the same id.
        named = [
            e
            for e in self.fake_control.events(ANN)
            if e.get("summary") == name and e.get("recurrence")
        ]
        self.assertEqual([e["id"] for e in named], [recurrence.google_id], "one master, no twin")
        self.assertEqual(recurrence.google_etag, named[0]["etag"])
        self.assertFalse(recurrence.google_push_pending)
        inserts = [
            w["status"]
            for w in self.writes(ANN)
            if w["operation"] == "events.insert" and w["path"].endswith("/events")
        ]
        # The setUp's series, then this one once.
        self.assertEqual(inserts, [200, 200], "looked up, never sent again")
        self.assertEqual(
            self.env["calendar.event"].search_count([("recurrence_id", "=", recurrence.id)]), 2
        )

    def test_series_insert_lost_makes_no_twin_when_google_misses_the_id_collision(self):
        self.fake_control.set_detect_id_collisions(False)
        recurrence = self.push_series_with_lost_answer("Retro")
        self.sync(self.account)
        self.assert_one_master_agreed(recurrence)

    def test_series_insert_left_unanswered_is_looked_up_by_the_next_push(self):
        self.fake_control.set_detect_id_collisions(False)
        client = self.account._get_client()
        client.retry_policy = RetryPolicy(max_attempts=1)  # gives up at the lost answer
        recurrence = self.push_series_with_lost_answer("Retro", client)
        self.assertTrue(recurrence.google_push_pending)
        self.assertFalse(recurrence.google_etag)
        self.assertEqual(recurrence.google_unanswered_id, recurrence.google_id)

        self.Sync._push_account(self.account, self.account._get_client())
        self.assert_one_master_agreed(recurrence)
        self.assertFalse(recurrence.google_unanswered_id)

    def _series_inserted_then_lost(self, push_only):
        """A series with an external guest whose insert Google stores before the
        worker dies; the guest then accepts on Google and Ann renames the series
        in Odoo. Returns the series' base event."""
        guest = self.connect_google_only(GUEST)
        partner = self.env["res.partner"].create({"name": "Gus", "email": GUEST})
        base = self.create_series(
            "Planning",
            self.first + timedelta(hours=5),
            count=3,
            partner_ids=[Command.set([self.ann.partner_id.id, partner.id])],
        )
        with self.assertRaises(WorkerKilled), self.env.cr.savepoint():
            self.Sync._push_account(self.account, self.account._get_client())
            raise WorkerKilled
        self.env.invalidate_all()
        [stored] = [m for m in self.masters() if m["summary"] == "Planning"]
        mine = guest.get_event("primary", stored["id"])
        attendees = [
            dict(a, responseStatus="accepted") if a["email"] == GUEST else a
            for a in mine["attendees"]
        ]
        guest.patch_event("primary", stored["id"], {"attendees": attendees}, send_updates="none")
        base.write({"name": "Planning (room 4)", "recurrence_update": "all_events"})
        if push_only:
            self.Sync._push_account(self.account, self.account._get_client())
        self.sync(self.account)
        return base, stored["id"]

    def _assert_both_sides_kept(self, base, google_id):
        recurrence = self.env["calendar.recurrence"].search([("google_id", "=", google_id)])
        self.assertEqual(len(recurrence), 1, "one series in Odoo, not a second import")
        events = recurrence.calendar_event_ids.sorted("start")
        self.assertEqual(set(events.mapped("name")), {"Planning (room 4)"})
        answers = {
            e.attendee_ids.filtered(lambda a: a.partner_id.email == GUEST).state for e in events
        }
        self.assertEqual(answers, {"accepted"}, "the guest's answer given on Google is kept")
        master = self.google_events(ANN)[google_id]
        self.assertEqual(master["summary"], "Planning (room 4)", "Odoo's rename reached Google")
        self.assertEqual(
            {a["email"]: a["responseStatus"] for a in master["attendees"]}[GUEST], "accepted"
        )
        self.assertTrue(all(e.google_id.startswith(f"{google_id}_") for e in events))
        self.assertFalse(recurrence.google_push_pending)

    def test_series_insert_lost_then_answered_on_google_and_renamed_in_odoo(self):
        self._assert_both_sides_kept(*self._series_inserted_then_lost(push_only=False))

    def test_series_insert_lost_then_retried_meets_409_and_keeps_both_sides(self):
        base, google_id = self._series_inserted_then_lost(push_only=True)
        self._assert_both_sides_kept(base, google_id)
        inserts = [w["status"] for w in self.writes(ANN) if w["operation"] == "events.insert"]
        self.assertEqual(inserts[-2:], [200, 409])

    def test_occurrence_deleted_in_odoo_cancelled_on_google(self):
        self.occurrence(2).unlink()
        self.sync(self.account)
        expected = rows([self.starts[n] for n in (0, 1, 3)], "Sprint review")
        self.assert_both(self.recurrence.google_id, expected)
        self.assertEqual(
            self.google_events(ANN)[self.recurrence.google_id]["recurrence"],
            [
                "RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=MO",
                f"EXDATE:{self.stamp(self.starts[2])}",
            ],
        )
        self.assert_idle_resync([self.recurrence.google_id], [expected])

    def test_this_event_edits_in_odoo_become_google_exceptions(self):
        self.occurrence(1).write({"name": "Sprint demo", "recurrence_update": "self_only"})
        moved = self.starts[2] + timedelta(hours=3)
        moved_utc = pytz.timezone(BRUSSELS).localize(moved).astimezone(pytz.utc)
        moved_utc = moved_utc.replace(tzinfo=None)
        self.occurrence(2).write(
            {
                "start": moved_utc,
                "stop": moved_utc + timedelta(hours=1),
                "recurrence_update": "self_only",
            }
        )
        self.sync(self.account)
        expected = (
            rows(self.starts[:1], "Sprint review")
            + rows(self.starts[1:2], "Sprint demo")
            + rows([moved], "Sprint review")
            + rows(self.starts[3:], "Sprint review")
        )
        self.assert_both(self.recurrence.google_id, expected)
        stored = self.google_events(ANN)
        self.assertEqual(stored[self.recurrence.google_id]["summary"], "Sprint review")
        exceptions = [e for e in stored.values() if e.get("recurringEventId")]
        self.assertEqual(
            sorted(e["id"] for e in exceptions),
            sorted(f"{self.recurrence.google_id}_{self.stamp(self.starts[n])}" for n in (1, 2)),
        )
        self.assert_idle_resync([self.recurrence.google_id], [expected])

    def test_all_events_edit_in_odoo_patches_the_master(self):
        series_id = self.recurrence.google_id
        self.occurrence(1).write({"name": "Sprint retro", "recurrence_update": "all_events"})
        self.sync(self.account)
        expected = rows(self.starts, "Sprint retro")
        self.assert_both(series_id, expected)
        self.assertEqual(len(self.masters()), 1, "the same Google series, not a new one")
        self.assertEqual(self.masters()[0]["id"], series_id)
        self.assert_idle_resync([series_id], [expected])

    def test_all_events_time_change_in_odoo_keeps_the_google_series(self):
        series_id = self.recurrence.google_id
        new_start = self.base.start + timedelta(hours=1)
        self.base.write(
            {
                "start": new_start,
                "stop": new_start + timedelta(hours=1),
                "recurrence_update": "all_events",
            }
        )
        recurrence = self.series(series_id)
        self.assertTrue(recurrence, "the new recurrence took the Google series over")
        self.sync(self.account)
        expected = rows([start.replace(hour=11) for start in self.starts], "Sprint review")
        self.assert_both(series_id, expected)
        self.assertEqual([m["id"] for m in self.masters()], [series_id])
        deletes = [w for w in self.writes(ANN) if w["operation"] == "events.delete"]
        self.assertEqual(deletes, [])
        self.assert_idle_resync([series_id], [expected])

    def test_this_and_following_in_odoo_splits_the_google_series(self):
        old_id = self.recurrence.google_id
        self.occurrence(2).write({"name": "Sprint review v2", "recurrence_update": "future_events"})
        self.sync(self.account)
        new_recurrence = self.env["calendar.recurrence"].search(
            [("google_id", "!=", False), ("google_id", "!=", old_id)]
        )
        self.assertEqual(len(new_recurrence), 1)
        old_rows = rows(self.starts[:2], "Sprint review")
        new_rows = rows(self.starts[2:], "Sprint review v2")
        self.assert_both(old_id, old_rows)
        self.assert_both(new_recurrence.google_id, new_rows)
        self.assertEqual(
            sorted(m["id"] for m in self.masters()), sorted([old_id, new_recurrence.google_id])
        )
        self.assert_idle_resync([old_id, new_recurrence.google_id], [old_rows, new_rows])

    def test_this_and_following_time_change_in_odoo(self):
        old_id = self.recurrence.google_id
        third = self.occurrence(2)
        third.write(
            {
                "start": third.start + timedelta(hours=2),
                "stop": third.stop + timedelta(hours=2),
                "recurrence_update": "future_events",
            }
        )
        self.sync(self.account)
        new_recurrence = self.env["calendar.recurrence"].search(
            [("google_id", "!=", False), ("google_id", "!=", old_id)]
        )
        self.assertEqual(len(new_recurrence), 1)
        old_rows = rows(self.starts[:2], "Sprint review")
        new_rows = rows([start.replace(hour=12) for start in self.starts[2:]], "Sprint review")
        self.assert_both(old_id, old_rows)
        self.assert_both(new_recurrence.google_id, new_rows)
        self.assert_idle_resync([old_id, new_recurrence.google_id], [old_rows, new_rows])

    def test_rule_change_for_all_events_in_odoo(self):
        series_id = self.recurrence.google_id
        self.occurrence(0).write({"count": 6, "recurrence_update": "all_events"})
        self.sync(self.account)
        expected = rows([self.first + timedelta(weeks=n) for n in range(6)], "Sprint review")
        self.assert_both(series_id, expected)
        self.assertEqual([m["id"] for m in self.masters()], [series_id])
        self.assertEqual(
            self.google_events(ANN)[series_id]["recurrence"], ["RRULE:FREQ=WEEKLY;COUNT=6;BYDAY=MO"]
        )
        self.assert_idle_resync([series_id], [expected])

    def test_series_deleted_in_odoo_deleted_on_google(self):
        series_id = self.recurrence.google_id
        self.base.action_mass_deletion("all_events")
        self.sync(self.account)
        self.assertEqual(self.google_events(ANN)[series_id]["status"], "cancelled")
        live = [e for e in self.google_events(ANN).values() if e.get("status") != "cancelled"]
        self.assertEqual(live, [])
        self.assertFalse(self.env["calendar.event"].search([("name", "=", "Sprint review")]))
        self.assertFalse(self.env["google.calendar.outbox"].sudo().search([]))
        before = len(self.writes(ANN))
        self.sync(self.account)
        self.assertEqual(len(self.writes(ANN)), before)


CAROL = "carol@external.example"


@tagged("post_install", "-at_install")
class TestRecurrenceAnswersAndSharing(RecurrenceCase):
    def setUp(self):
        super().setUp()
        self.carol = self.connect_google_only(CAROL)
        self.first = datetime.combine(
            date.today() + timedelta(days=7 - date.today().weekday() + 7), datetime.min.time()
        ).replace(hour=14)
        self.starts = [self.first + timedelta(weeks=n) for n in range(3)]
        self.master = self.seed_series(
            "Client call",
            self.first,
            ["RRULE:FREQ=WEEKLY;COUNT=3;BYDAY=MO"],
            attendees=[
                {"email": ANN, "responseStatus": "accepted"},
                {"email": CAROL, "responseStatus": "needsAction"},
            ],
        )
        self.sync(self.account)
        self.expected = rows(self.starts, "Client call")

    def carol_states(self):
        """Carol's answer per occurrence, in Odoo and on Ann's Google calendar."""
        events = self.series(self.master["id"]).calendar_event_ids.sorted("start")
        odoo = [
            e.attendee_ids.filtered(lambda a: a.partner_id.email == CAROL).state for e in events
        ]
        horizon = datetime.now() + timedelta(days=3660)
        google = [
            next(a["responseStatus"] for a in i["attendees"] if a["email"] == CAROL)
            for i in self.google_client().instances("primary", self.master["id"], time_max=horizon)
        ]
        return odoo, google

    def test_answer_on_one_occurrence_on_google(self):
        instance = f"{self.master['id']}_{self.stamp(self.starts[1])}"
        mine = self.carol.get_event("primary", instance)
        attendees = [
            dict(a, responseStatus="accepted") if a["email"] == CAROL else a
            for a in mine["attendees"]
        ]
        self.carol.patch_event("primary", instance, {"attendees": attendees}, send_updates="none")
        self.sync(self.account)
        answers = ["needsAction", "accepted", "needsAction"]
        self.assertEqual(self.carol_states(), (answers, answers))
        self.assert_idle_resync([self.master["id"]], [self.expected])
        self.assertEqual(self.carol_states(), (answers, answers))

    def test_answer_on_the_series_on_google(self):
        mine = self.carol.get_event("primary", self.master["id"])
        attendees = [
            dict(a, responseStatus="declined") if a["email"] == CAROL else a
            for a in mine["attendees"]
        ]
        self.carol.patch_event(
            "primary", self.master["id"], {"attendees": attendees}, send_updates="none"
        )
        self.sync(self.account)
        answers = ["declined"] * 3
        self.assertEqual(self.carol_states(), (answers, answers))
        self.assert_idle_resync([self.master["id"]], [self.expected])

    def test_answer_on_one_occurrence_in_odoo(self):
        event = self.series(self.master["id"]).calendar_event_ids.sorted("start")[2]
        event.attendee_ids.filtered(lambda a: a.partner_id.email == CAROL).write(
            {"state": "tentative"}
        )
        self.sync(self.account)
        answers = ["needsAction", "needsAction", "tentative"]
        self.assertEqual(self.carol_states(), (answers, answers))
        self.assertEqual(
            self.google_events(ANN)[self.master["id"]]["attendees"][1]["responseStatus"],
            "needsAction",
            "the series itself is unchanged",
        )
        self.assert_idle_resync([self.master["id"]], [self.expected])

    def test_answer_on_the_series_in_odoo(self):
        # Carol's answer recorded on every occurrence at once.
        self.series(self.master["id"]).calendar_event_ids.attendee_ids.filtered(
            lambda a: a.partner_id.email == CAROL
        ).write({"state": "accepted"})
        self.sync(self.account)
        answers = ["accepted"] * 3
        self.assertEqual(self.carol_states(), (answers, answers))
        master = self.google_events(ANN)[self.master["id"]]
        self.assertEqual(
            {a["email"]: a["responseStatus"] for a in master["attendees"]}[CAROL], "accepted"
        )
        exceptions = [e for e in self.google_events(ANN).values() if e.get("recurringEventId")]
        self.assertEqual(exceptions, [], "one patch of the master, no per-occurrence exception")
        self.assert_idle_resync([self.master["id"]], [self.expected])


@tagged("post_install", "-at_install")
class TestRecurrenceScope(RecurrenceCase):
    def test_series_straddling_the_window_is_synced_whole_once(self):
        # Mondays since 58 weeks ago, until 10 weeks ahead: much of it is outside
        # the sync window (365 days back), and still one series.
        first = datetime.combine(
            date.today() - timedelta(weeks=58, days=date.today().weekday()), datetime.min.time()
        ).replace(hour=8)
        count = 58 + 10
        master = self.seed_series(
            "Long runner", first, [f"RRULE:FREQ=WEEKLY;COUNT={count};BYDAY=MO"]
        )
        self.sync(self.account)
        expected = rows([first + timedelta(weeks=n) for n in range(count)], "Long runner")
        self.assert_both(master["id"], expected)
        self.assertEqual(len(self.env["calendar.recurrence"].search([])), 1)
        self.fake_control.expire_sync_tokens(ANN)
        self.assert_idle_resync([master["id"]], [expected])
        self.assertEqual(
            len(self.env["calendar.event"].search([("name", "=", "Long runner")])), count
        )

    def test_organizer_and_attendee_both_syncing_share_one_series(self):
        self.bob_account = self.connect(self.bob)
        first = datetime.combine(
            date.today() + timedelta(days=7 - date.today().weekday() + 7), datetime.min.time()
        ).replace(hour=9)
        master = self.seed_series(
            "Shared weekly",
            first,
            ["RRULE:FREQ=WEEKLY;COUNT=3;BYDAY=MO"],
            attendees=[{"email": ANN}, {"email": BOB}],
        )
        # The attendee syncs first, then the organizer, then both again.
        for account in (self.bob_account, self.account, self.bob_account, self.account):
            self.sync(account)
        expected = rows([first + timedelta(weeks=n) for n in range(3)], "Shared weekly")
        self.assert_both(master["id"], expected)
        self.assertEqual(len(self.env["calendar.recurrence"].search([])), 1)
        self.assertEqual(
            len(self.env["calendar.event"].search([("name", "=", "Shared weekly")])), 3
        )
        self.assertEqual(self.series(master["id"]).google_account_id, self.account)
        self.assertEqual(self.google_rows(master["id"], email=BOB), expected)
        self.assertEqual(self.writes(BOB), [], "the attendee's sync writes nothing to Google")
        self.assert_idle_resync([master["id"]], [expected])

    def test_organizer_deleting_a_series_an_attendee_imported_first(self):
        self.bob_account = self.connect(self.bob)
        first = datetime.combine(
            date.today() + timedelta(days=7 - date.today().weekday() + 7), datetime.min.time()
        ).replace(hour=13)
        master = self.seed_series(
            "Short-lived",
            first,
            ["RRULE:FREQ=WEEKLY;COUNT=3;BYDAY=MO"],
            attendees=[{"email": ANN}, {"email": BOB}],
        )
        self.sync(self.bob_account)
        self.assertEqual(self.series(master["id"]).google_account_id, self.bob_account)
        self.google_client().delete_event("primary", master["id"], send_updates="none")
        self.sync(self.account)
        self.assertFalse(self.series(master["id"]))
        self.assertFalse(self.env["calendar.event"].search([("name", "=", "Short-lived")]))
        self.sync(self.bob_account)
        self.assertFalse(self.env["calendar.event"].search([("name", "=", "Short-lived")]))

    def test_series_odoo_cannot_hold_is_reported_and_the_rest_syncs(self):
        first = datetime.combine(date.today() + timedelta(days=20), datetime.min.time()).replace(
            hour=9
        )
        bad = self.seed_series("Odd rule", first, ["RRULE:FREQ=MONTHLY;COUNT=4;BYDAY=1MO,3MO"])
        [single] = self.seed(ANN, self.timed_event("Plain meeting", first))
        counts = self.sync(self.account)
        self.assertEqual(counts["errors"], 1)
        self.assertTrue(any("Odd rule" in message for message in counts["messages"]))
        self.assertFalse(self.series(bad["id"]))
        self.assertTrue(self.event_of(single["id"]))
        self.assertEqual(self.google_events(ANN)[bad["id"]]["recurrence"], bad["recurrence"])
        self.assertEqual([w for w in self.writes(ANN) if w["operation"] != "events.insert"], [])


@tagged("post_install", "-at_install")
class TestRecurrenceRulesFromOdoo(RecurrenceCase):
    def test_monthly_last_friday_and_allday_yearly_from_odoo(self):
        year = upcoming_year()
        friday = last_weekday(year, 1, 4)
        start = pytz.timezone(BRUSSELS).localize(
            datetime.combine(friday, datetime.min.time()).replace(hour=16)
        )
        start = start.astimezone(pytz.utc).replace(tzinfo=None)
        Event = self.env["calendar.event"].with_user(self.ann)
        monthly = Event.create(
            {
                "name": "Monthly review",
                "start": start,
                "stop": start + timedelta(hours=1),
                "recurrency": True,
                "rrule_type": "monthly",
                "month_by": "day",
                "weekday": "FRI",
                "byday": "-1",
                "end_type": "count",
                "count": 4,
                "event_tz": BRUSSELS,
            }
        )
        yearly = Event.create(
            {
                "name": "Anniversary",
                "allday": True,
                "start_date": date(year, 2, 14),
                "stop_date": date(year, 2, 14),
                "start": datetime(year, 2, 14),
                "stop": datetime(year, 2, 14),
                "recurrency": True,
                "rrule_type": "yearly",
                "end_type": "count",
                "count": 3,
            }
        )
        self.sync(self.account)
        monthly, yearly = monthly.sudo(), yearly.sudo()
        monthly_id, yearly_id = monthly.recurrence_id.google_id, yearly.recurrence_id.google_id
        stored = self.google_events(ANN)
        self.assertEqual(
            stored[monthly_id]["recurrence"], ["RRULE:FREQ=MONTHLY;COUNT=4;BYDAY=-1FR"]
        )
        self.assertEqual(stored[yearly_id]["recurrence"], ["RRULE:FREQ=YEARLY;COUNT=3"])
        self.assertEqual(stored[yearly_id]["start"], {"date": f"{year}-02-14"})
        monthly_rows = [
            (f"{last_weekday(year, month, 4):%Y-%m-%d} 16:00", "Monthly review")
            for month in (1, 2, 3, 4)
        ]
        yearly_rows = [(f"{y}-02-14", "Anniversary") for y in (year, year + 1, year + 2)]
        self.assert_both(monthly_id, monthly_rows)
        self.assert_both(yearly_id, yearly_rows)
        self.assert_idle_resync([monthly_id, yearly_id], [monthly_rows, yearly_rows])


@tagged("post_install", "-at_install")
class TestRecurrenceConversions(RecurrenceCase):
    def next_monday(self, hour):
        return datetime.combine(
            date.today() + timedelta(days=7 - date.today().weekday() + 7), datetime.min.time()
        ).replace(hour=hour)

    def test_series_made_before_connecting_goes_to_google_on_first_sync(self):
        self.account.unlink()
        first = self.next_monday(8)
        start = pytz.timezone(BRUSSELS).localize(first).astimezone(pytz.utc).replace(tzinfo=None)
        event = (
            self.env["calendar.event"]
            .with_user(self.ann)
            .create(
                {
                    "name": "Old habit",
                    "start": start,
                    "stop": start + timedelta(hours=1),
                    "recurrency": True,
                    "rrule_type": "weekly",
                    "mon": True,
                    "end_type": "count",
                    "count": 3,
                    "event_tz": BRUSSELS,
                }
            )
            .sudo()
        )
        self.assertFalse(event.recurrence_id.google_push_pending, "nobody syncs it yet")
        self.account = self.connect(self.ann)
        self.sync(self.account)
        series_id = event.recurrence_id.google_id
        expected = rows([first + timedelta(weeks=n) for n in range(3)], "Old habit")
        self.assert_both(series_id, expected)
        self.assert_idle_resync([series_id], expected_by_series=[expected])

    def test_single_event_made_recurring_in_odoo_keeps_its_google_event(self):
        first = self.next_monday(9)
        start = pytz.timezone(BRUSSELS).localize(first).astimezone(pytz.utc).replace(tzinfo=None)
        event = (
            self.env["calendar.event"]
            .with_user(self.ann)
            .create({"name": "Coffee", "start": start, "stop": start + timedelta(hours=1)})
            .sudo()
        )
        self.sync(self.account)
        google_id = event.google_id
        event.write(
            {
                "recurrency": True,
                "rrule_type": "weekly",
                "mon": True,
                "end_type": "count",
                "count": 3,
                "event_tz": BRUSSELS,
            }
        )
        self.sync(self.account)
        self.assertEqual(event.recurrence_id.google_id, google_id)
        expected = rows([first + timedelta(weeks=n) for n in range(3)], "Coffee")
        self.assert_both(google_id, expected)
        # (Odoo writes its "Organized by" text twice into the occurrences it adds, so
        # the first occurrence differs from the others by its description: that
        # one is an exception on Google, faithfully.)
        events = [
            e
            for e in self.google_events(ANN).values()
            if e.get("status") != "cancelled" and not e.get("recurringEventId")
        ]
        self.assertEqual([e["id"] for e in events], [google_id], "no second Google event")
        self.assert_idle_resync([google_id], [expected])

    def test_single_event_made_recurring_on_google_becomes_one_series(self):
        first = self.next_monday(9)
        [single] = self.seed(ANN, self.timed_event("Coffee", first))
        self.sync(self.account)
        self.google_client().patch_event(
            "primary",
            single["id"],
            {"recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3;BYDAY=MO"]},
            send_updates="none",
        )
        self.sync(self.account)
        expected = rows([first + timedelta(weeks=n) for n in range(3)], "Coffee")
        self.assert_both(single["id"], expected)
        self.assertEqual(len(self.env["calendar.event"].search([("name", "=", "Coffee")])), 3)
        self.assert_idle_resync([single["id"]], [expected])


@tagged("post_install", "-at_install")
class TestRecurrenceRuleShapes(RecurrenceCase):
    def test_interval_monthly_by_date_first_monday_and_daily_until(self):
        year = upcoming_year()
        tuesday = date(year, 3, 2) + timedelta(days=(1 - date(year, 3, 2).weekday()) % 7)
        first_monday = date(year, 2, 1) + timedelta(days=(0 - date(year, 2, 1).weekday()) % 7)
        at = datetime.min.time()
        shapes = {
            "Fortnightly": (
                datetime.combine(tuesday, at).replace(hour=9),
                ["RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,TH"],
                [
                    datetime.combine(tuesday + timedelta(days=d), at).replace(hour=9)
                    for d in (0, 2, 14, 16)
                ],
            ),
            "Rent": (
                datetime(year, 1, 15, 12),
                ["RRULE:FREQ=MONTHLY;BYMONTHDAY=15;COUNT=3"],
                [datetime(year, month, 15, 12) for month in (1, 2, 3)],
            ),
            "Board": (
                datetime.combine(first_monday, at).replace(hour=18),
                ["RRULE:FREQ=MONTHLY;COUNT=3;BYDAY=1MO"],
                [
                    datetime.combine(
                        date(year, m, 1) + timedelta(days=(0 - date(year, m, 1).weekday()) % 7),
                        at,
                    ).replace(hour=18)
                    for m in (2, 3, 4)
                ],
            ),
            "Sprint": (
                datetime(year, 3, 26, 9, 30),
                [f"RRULE:FREQ=DAILY;UNTIL={year}0329T235959Z"],
                [datetime(year, 3, day, 9, 30) for day in (26, 27, 28, 29)],
            ),
        }
        masters = {
            name: self.seed_series(name, first, lines)
            for name, (first, lines, _expected) in shapes.items()
        }
        self.sync(self.account)
        expected = {name: rows(starts, name) for name, (_f, _l, starts) in shapes.items()}
        for name, master in masters.items():
            self.assert_both(master["id"], expected[name])
        self.assert_idle_resync(
            [masters[name]["id"] for name in shapes], [expected[name] for name in shapes]
        )
        # An "all events" edit in Odoo goes back as the same rules.
        for name, master in masters.items():
            self.series(master["id"]).calendar_event_ids[:1].write(
                {"name": f"{name}!", "recurrence_update": "all_events"}
            )
        self.sync(self.account)
        for name, master in masters.items():
            self.assert_both(master["id"], [(when, f"{name}!") for when, _n in expected[name]])


@tagged("post_install", "-at_install")
class TestRecurrenceInvitations(RecurrenceCase):
    def next_monday(self, hour):
        return datetime.combine(
            date.today() + timedelta(days=7 - date.today().weekday() + 7), datetime.min.time()
        ).replace(hour=hour)

    def answers_of(self, client, calendar_owner, series_id, email):
        horizon = datetime.now() + timedelta(days=3660)
        return [
            next(a["responseStatus"] for a in i["attendees"] if a["email"] == email)
            for i in client.instances("primary", series_id, time_max=horizon)
        ]

    def test_invited_to_a_series_answering_one_occurrence_in_odoo(self):
        carol = self.connect_google_only(CAROL)
        first = self.next_monday(15)
        master = carol.insert_event(
            "primary",
            {
                "summary": "Carol's weekly",
                "start": local_spec(first),
                "end": local_spec(first + timedelta(hours=1)),
                "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3;BYDAY=MO"],
                "attendees": [{"email": CAROL}, {"email": ANN}],
            },
            send_updates="none",
        )
        self.sync(self.account)
        expected = rows([first + timedelta(weeks=n) for n in range(3)], "Carol's weekly")
        self.assert_both(master["id"], expected)
        event = self.series(master["id"]).calendar_event_ids.sorted("start")[1]
        event.attendee_ids.filtered(lambda a: a.partner_id == self.ann.partner_id).write(
            {"state": "accepted"}
        )
        self.sync(self.account)
        answers = ["needsAction", "accepted", "needsAction"]
        self.assertEqual(self.answers_of(carol, CAROL, master["id"], ANN), answers)
        self.assertEqual(self.answers_of(self.google_client(), ANN, master["id"], ANN), answers)
        self.assert_idle_resync([master["id"]], [expected])

    def test_invited_to_a_series_answering_the_series_in_odoo(self):
        carol = self.connect_google_only(CAROL)
        first = self.next_monday(16)
        master = carol.insert_event(
            "primary",
            {
                "summary": "Carol's weekly",
                "start": local_spec(first),
                "end": local_spec(first + timedelta(hours=1)),
                "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3;BYDAY=MO"],
                "attendees": [{"email": CAROL}, {"email": ANN}],
            },
            send_updates="none",
        )
        self.sync(self.account)
        events = self.series(master["id"]).calendar_event_ids
        events.attendee_ids.filtered(lambda a: a.partner_id == self.ann.partner_id).write(
            {"state": "declined"}
        )
        self.sync(self.account)
        answers = ["declined"] * 3
        self.assertEqual(self.answers_of(carol, CAROL, master["id"], ANN), answers)
        organizer_master = carol.get_event("primary", master["id"])
        self.assertEqual(
            {a["email"]: a["responseStatus"] for a in organizer_master["attendees"]}[ANN],
            "declined",
        )
        patched = [w["path"] for w in self.writes(ANN) if w["operation"] == "events.patch"]
        self.assertEqual(len(patched), 1, "one answer for the whole series")
        expected = rows([first + timedelta(weeks=n) for n in range(3)], "Carol's weekly")
        self.assert_idle_resync([master["id"]], [expected])

    def test_attendee_answer_in_odoo_when_both_sync(self):
        self.bob_account = self.connect(self.bob)
        first = self.next_monday(11)
        master = self.seed_series(
            "Shared weekly",
            first,
            ["RRULE:FREQ=WEEKLY;COUNT=3;BYDAY=MO"],
            attendees=[{"email": ANN}, {"email": BOB}],
        )
        self.sync(self.account)
        self.sync(self.bob_account)
        event = self.series(master["id"]).calendar_event_ids.sorted("start")[0]
        event.attendee_ids.filtered(lambda a: a.partner_id == self.bob.partner_id).write(
            {"state": "declined"}
        )
        for account in (self.bob_account, self.account, self.bob_account):
            self.sync(account)
        answers = ["declined", "needsAction", "needsAction"]
        self.assertEqual(self.answers_of(self.google_client(), ANN, master["id"], BOB), answers)
        self.assertEqual(
            self.answers_of(self.bob_account._get_client(), BOB, master["id"], BOB), answers
        )
        expected = rows([first + timedelta(weeks=n) for n in range(3)], "Shared weekly")
        self.assertEqual(
            len(self.env["calendar.event"].search([("name", "=", "Shared weekly")])), 3
        )
        self.assert_idle_resync([master["id"]], [expected])

    def test_invitation_with_a_never_matching_rule_is_reported_alone(self):
        """An outsider's series "every 32nd of the month" used to send both the engine
        and Odoo searching to year 9999, then vanish without a word."""
        carol = self.connect_google_only(CAROL)
        self.sync(self.account)  # the full sync; the next ones read what changed
        first = self.next_monday(9)
        guests = [{"email": CAROL}, {"email": ANN}]

        def invite(summary, **extra):
            body = {
                "summary": summary,
                "start": local_spec(first),
                "end": local_spec(first + timedelta(hours=1)),
                "attendees": guests,
                **extra,
            }
            return carol.insert_event("primary", body, send_updates="none")

        bad = invite("Every 32nd", recurrence=["RRULE:FREQ=MONTHLY;BYMONTHDAY=32"])
        weekly = invite("Carol's weekly", recurrence=["RRULE:FREQ=WEEKLY;COUNT=3;BYDAY=MO"])
        single = invite("Plain meeting")
        counts = self.sync(self.account)
        self.assertEqual(counts["errors"], 1, counts["messages"])
        [message] = counts["messages"]
        self.assertIn("Every 32nd", message)
        self.assertIn("BYMONTHDAY value '32'", message)
        self.assertFalse(self.series(bad["id"]))
        self.assertFalse(self.env["calendar.event"].search([("name", "=", "Every 32nd")]))
        # The rest of the same page is imported, and nothing is written to Google.
        expected = rows([first + timedelta(weeks=n) for n in range(3)], "Carol's weekly")
        self.assert_both(weekly["id"], expected)
        self.assertEqual(self.event_of(single["id"]).name, "Plain meeting")
        self.assertEqual(counts["odoo_created"], 4)
        self.assertEqual(self.writes(ANN), [])
        for client in (carol, self.google_client()):
            self.assertEqual(
                client.get_event("primary", bad["id"])["recurrence"],
                ["RRULE:FREQ=MONTHLY;BYMONTHDAY=32"],
            )
        # The next syncs go on: the bad series stays left out, a change arrives.
        carol.patch_event(
            "primary", weekly["id"], {"summary": "Carol's weekly, moved"}, send_updates="none"
        )
        counts = self.sync(self.account)
        self.assertEqual((counts["errors"], counts["odoo_updated"]), (0, 1), counts["messages"])
        renamed = [(when, "Carol's weekly, moved") for when, _name in expected]
        self.assert_both(weekly["id"], renamed)
        self.assert_idle_resync([weekly["id"]], [renamed])

    def test_invitation_rules_odoo_would_misstore_are_reported_alone(self):
        """Values past Odoo's integer columns failed the whole sync in the database;
        a day counted from the month's end was stored as the 1st."""
        carol = self.connect_google_only(CAROL)
        self.sync(self.account)
        first = self.next_monday(9)
        rules = {
            "Count overflow": "RRULE:FREQ=WEEKLY;COUNT=3000000000;BYDAY=MO",
            "Interval overflow": "RRULE:FREQ=MONTHLY;INTERVAL=3000000000;BYMONTHDAY=1",
            "Last day": "RRULE:FREQ=MONTHLY;COUNT=3;BYMONTHDAY=-1",
            "Carol's weekly": "RRULE:FREQ=WEEKLY;COUNT=3;BYDAY=MO",
        }
        masters = {
            summary: carol.insert_event(
                "primary",
                {
                    "summary": summary,
                    "start": local_spec(first),
                    "end": local_spec(first + timedelta(hours=1)),
                    "attendees": [{"email": CAROL}, {"email": ANN}],
                    "recurrence": [rule],
                },
                send_updates="none",
            )
            for summary, rule in rules.items()
        }
        counts = self.sync(self.account)
        self.assertEqual(counts["errors"], 3, counts["messages"])
        for summary in ("Count overflow", "Interval overflow", "Last day"):
            self.assertEqual(len([m for m in counts["messages"] if summary in m]), 1, summary)
            self.assertFalse(self.series(masters[summary]["id"]))
        expected = rows([first + timedelta(weeks=n) for n in range(3)], "Carol's weekly")
        self.assert_both(masters["Carol's weekly"]["id"], expected)
        self.assertEqual(self.writes(ANN), [])
        self.assert_idle_resync([masters["Carol's weekly"]["id"]], [expected])


@tagged("post_install", "-at_install")
class TestRecurrenceRaces(RecurrenceCase):
    def setUp(self):
        super().setUp()
        self.first = datetime.combine(
            date.today() + timedelta(days=7 - date.today().weekday() + 7), datetime.min.time()
        ).replace(hour=10)
        self.starts = [self.first + timedelta(weeks=n) for n in range(3)]
        self.master = self.seed_series("Review", self.first, ["RRULE:FREQ=WEEKLY;COUNT=3;BYDAY=MO"])
        self.sync(self.account)

    def test_odoo_edit_wins_over_a_google_deletion_of_the_series(self):
        events = self.series(self.master["id"]).calendar_event_ids
        events[0].write({"name": "Review (kept)", "recurrence_update": "all_events"})
        self.google_client().delete_event("primary", self.master["id"], send_updates="none")
        self.sync(self.account)
        recurrence = events[0].recurrence_id
        self.assertTrue(recurrence.google_id)
        self.assertNotEqual(recurrence.google_id, self.master["id"], "a deleted id is not reused")
        expected = rows(self.starts, "Review (kept)")
        self.assert_both(recurrence.google_id, expected)
        self.assert_idle_resync([recurrence.google_id], [expected])

    def test_series_changed_on_google_between_pull_and_push_is_not_overwritten(self):
        events = self.series(self.master["id"]).calendar_event_ids
        events[0].write({"location": "Room 1", "recurrence_update": "all_events"})
        # Google changes the series after the pull (simulated: before a push only).
        self.google_client().patch_event(
            "primary", self.master["id"], {"summary": "Review!"}, send_updates="none"
        )
        counts = self.Sync._push_account(self.account, self.account._get_client())
        self.assertEqual(counts["errors"], 1, "412: kept for the next sync")
        self.assertEqual(self.google_events(ANN)[self.master["id"]]["summary"], "Review!")
        self.sync(self.account)
        expected = rows(self.starts, "Review!")
        self.assert_both(self.master["id"], expected)
        self.assertEqual(self.google_events(ANN)[self.master["id"]]["location"], "Room 1")
        self.assert_idle_resync([self.master["id"]], [expected])


@tagged("post_install", "-at_install")
class TestRecurrenceEndless(RecurrenceCase):
    def mondays_forever(self, name):
        """An endless weekly series made in Odoo by Ann, Mondays at 9:00 Brussels
        from next Monday; returns (first local start, its first event)."""
        first = datetime.combine(
            date.today() + timedelta(days=7 - date.today().weekday()), datetime.min.time()
        ).replace(hour=9)
        event = self.create_series(name, first, end_type="forever")
        return first, event

    def test_endless_daily_series_stays_endless_and_idle(self):
        first = datetime.combine(date.today() + timedelta(days=3), datetime.min.time()).replace(
            hour=7, minute=30
        )
        master = self.seed_series("Daily", first, ["RRULE:FREQ=DAILY"])
        self.sync(self.account)
        recurrence = self.series(master["id"])
        # Odoo holds as many occurrences as it does for its own endless series
        # (which it stores as 720 repetitions).
        self.assertEqual(len(recurrence.calendar_event_ids), 720)
        local_times = {row[0][11:] for row in self.odoo_series_rows(master["id"])}
        self.assertEqual(local_times, {"07:30"}, "every occurrence at 07:30 Brussels time")
        before = len(self.writes(ANN))
        counts = self.sync(self.account)
        self.assertEqual(len(self.writes(ANN)), before)
        self.assertEqual((counts["odoo_created"], counts["odoo_updated"]), (0, 0))
        # A rename of all events in Odoo goes back as one patch of an endless rule.
        recurrence.calendar_event_ids[:1].write(
            {"name": "Daily sync", "recurrence_update": "all_events"}
        )
        self.sync(self.account)
        stored = self.google_events(ANN)[master["id"]]
        self.assertEqual(
            (stored["summary"], stored["recurrence"]), ("Daily sync", ["RRULE:FREQ=DAILY"])
        )
        patches = [w for w in self.writes(ANN) if w["operation"] == "events.patch"]
        self.assertEqual(len(patches), 1)

    def test_forever_series_from_odoo_is_endless_on_google(self):
        _first, event = self.mondays_forever("Forever")
        self.sync(self.account)
        series_id = event.recurrence_id.google_id
        self.assertEqual(
            self.google_events(ANN)[series_id]["recurrence"], ["RRULE:FREQ=WEEKLY;BYDAY=MO"]
        )
        before = len(self.writes(ANN))
        counts = self.sync(self.account)
        self.assertEqual(len(self.writes(ANN)), before)
        self.assertEqual((counts["odoo_created"], counts["odoo_deleted"]), (0, 0))
        self.assertEqual(len(event.recurrence_id.calendar_event_ids), 720)

    def test_this_and_following_deleted_in_odoo_ends_the_google_rule(self):
        first, event = self.mondays_forever("Until further notice")
        recurrence = event.recurrence_id
        self.sync(self.account)
        recurrence.calendar_event_ids.sorted("start")[2].action_mass_deletion("future_events")
        self.sync(self.account)
        last = first + timedelta(weeks=1)
        until = self.stamp(last.replace(hour=23, minute=59, second=59))
        self.assertEqual(
            self.google_events(ANN)[recurrence.google_id]["recurrence"],
            [f"RRULE:FREQ=WEEKLY;UNTIL={until};BYDAY=MO"],
            "a rule that ends, not hundreds of EXDATEs",
        )
        expected = rows([first, last], "Until further notice")
        self.assert_both(recurrence.google_id, expected)
        self.assert_idle_resync([recurrence.google_id], [expected])


@tagged("post_install", "-at_install")
class TestRecurrenceForeignZone(RecurrenceCase):
    def test_new_york_series_keeps_its_zone_for_a_brussels_user(self):
        new_york = "America/New_York"
        year = upcoming_year()
        # Second Sunday of March: the US change, two weeks before Europe's.
        march_first = date(year, 3, 1)
        us_change = march_first + timedelta(days=(6 - march_first.weekday()) % 7 + 7)
        first = datetime.combine(us_change - timedelta(days=6), datetime.min.time()).replace(hour=9)
        master = self.seed_series(
            "NY standup", first, ["RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=MO"], tz=new_york
        )
        self.sync(self.account)
        expected = rows([first + timedelta(weeks=n) for n in range(4)], "NY standup")
        self.assert_both(master["id"], expected, tz=new_york)
        self.assertEqual(self.series(master["id"]).event_tz, new_york)
        self.series(master["id"]).calendar_event_ids[:1].write(
            {"name": "NY sync", "recurrence_update": "all_events"}
        )
        self.sync(self.account)
        stored = self.google_events(ANN)[master["id"]]
        self.assertEqual(stored["start"]["timeZone"], new_york)
        renamed = [(when, "NY sync") for when, _name in expected]
        self.assert_both(master["id"], renamed, tz=new_york)
        self.assert_idle_resync([master["id"]], [renamed], tz=new_york)


@tagged("post_install", "-at_install")
class TestRecurrenceSafetyGuard(RecurrenceCase):
    def test_series_deleted_on_google_at_once_wait_for_an_administrator(self):
        set_param = self.env["ir.config_parameter"].sudo().set_param
        set_param("google_calendar_sync.deletion_guard_ratio", "0.5")
        set_param("google_calendar_sync.deletion_guard_minimum", "2")
        first = datetime.combine(date.today() + timedelta(days=5), datetime.min.time())
        masters = [
            self.seed_series(f"Series {n}", first.replace(hour=8 + n), ["RRULE:FREQ=DAILY;COUNT=5"])
            for n in range(3)
        ]
        self.sync(self.account)
        client = self.google_client()
        for master in masters:
            client.delete_event("primary", master["id"], send_updates="none")
        answer = self.account._run_sync()
        self.assertEqual(answer["status"], "held")
        self.assertTrue(self.account.deletion_hold)
        self.assertEqual(len(self.env["calendar.recurrence"].search([])), 3, "nothing deleted")
        self.assertEqual(len(self.env["calendar.event"].search([("name", "like", "Series")])), 15)
        self.account._confirm_deletions()
        self.sync(self.account)
        self.assertFalse(self.env["calendar.recurrence"].search([]))
        self.assertFalse(self.env["calendar.event"].search([("name", "like", "Series")]))
