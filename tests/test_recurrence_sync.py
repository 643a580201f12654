"""Recurring series both ways against the local Google fake.

Every test asserts the exact occurrences on both sides (local date and time in the
series' zone, title), then syncs again and asserts that nothing moved and nothing
was written (idempotence).
"""

import calendar
from datetime import date, datetime, timedelta

import pytz

from odoo import fields
from odoo.tests import tagged

from .sync_common import SyncCase

ANN = "ann@example.com"
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
        self.assert_idle_resync(
            [master["id"], autumn_master["id"]], [spring_rows, autumn_rows]
        )

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
