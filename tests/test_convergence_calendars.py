"""Convergence with two calendars per user (issue 17): a Hypothesis state
machine creates, renames, moves and deletes meetings on both sides, in the
primary and a secondary calendar, between syncs; once syncs settle, each
calendar on Google and Odoo hold the same meetings, once each, under the same
title. (``tests/test_convergence.py`` plays the three-user, fault-injecting
scenarios on one calendar each.)"""

import os
from collections import Counter

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

from odoo.tests import tagged

from .sync_common import SyncCase

PROJECTS = "projects-ann@group.calendar.google.com"
CALENDARS = ("primary", PROJECTS)
TITLES = st.sampled_from(["Plan", "Review", "Sync", "Retro"])


class TwoCalendars(RuleBasedStateMachine):
    case = None

    def __init__(self):
        super().__init__()
        case = self.case
        self.savepoint = case.env.cr.savepoint()
        case.fake_control.reset(keep_clients=True)
        self.account = case.connect(case.ann)
        case.fake_control.add_user(case.ann.email, calendars=[{"summary": "P", "id": PROJECTS}])
        self.account._google_refresh_calendars()
        rows = {calendar.google_id: calendar for calendar in self.account.calendar_ids}
        rows[PROJECTS].selected = True
        self.rows = {"primary": rows[case.ann.email], PROJECTS: rows[PROJECTS]}
        self.google = case.google_client_of(case.ann.email)
        self.serial = 0

    def teardown(self):
        try:
            self.check_converged()
        finally:
            self.savepoint.close(rollback=True)

    # -- reading both sides -------------------------------------------------------

    def odoo_events(self):
        return (
            self.case.env["calendar.event"]
            .search([("google_calendar_id", "in", [row.id for row in self.rows.values()])])
            .sorted("id")
        )

    def google_events(self, calendar_id):
        return sorted(
            (
                event
                for event in self.case.fake_control.events(self.case.ann.email, calendar_id)
                if event["status"] != "cancelled"
            ),
            key=lambda event: event["id"],
        )

    def title(self, base):
        self.serial += 1
        return f"{base} {self.serial}"

    # -- rules ----------------------------------------------------------------------

    @rule(calendar=st.sampled_from(CALENDARS), base=TITLES, day=st.integers(1, 20))
    def create_on_google(self, calendar, base, day):
        body = self.case.timed_event(self.title(base), self.case.future(days=day, hour=10))
        self.google.insert_event(calendar, body, send_updates="none")

    @rule(calendar=st.sampled_from(CALENDARS), base=TITLES, day=st.integers(1, 20))
    def create_in_odoo(self, calendar, base, day):
        self.case.odoo_meeting(
            self.case.ann,
            self.title(base),
            start=self.case.future(days=day, hour=14),
            google_calendar_id=self.rows[calendar].id,
        )

    @rule(data=st.data(), base=TITLES)
    def rename_on_google(self, data, base):
        calendar = data.draw(st.sampled_from(CALENDARS))
        events = self.google_events(calendar)
        if events:
            event = data.draw(st.sampled_from(events))
            self.google.patch_event(
                calendar, event["id"], {"summary": self.title(base)}, send_updates="none"
            )

    @rule(data=st.data(), base=TITLES)
    def rename_in_odoo(self, data, base):
        events = self.odoo_events()
        if events:
            event = data.draw(st.sampled_from(list(events)))
            event.with_user(self.case.ann).write({"name": self.title(base)})

    @rule(data=st.data())
    def move_in_odoo(self, data):
        events = self.odoo_events()
        if events:
            event = data.draw(st.sampled_from(list(events)))
            other = next(row for row in self.rows.values() if row != event.google_calendar_id)
            event.with_user(self.case.ann).write({"google_calendar_id": other.id})

    @rule(data=st.data())
    def delete_on_google(self, data):
        calendar = data.draw(st.sampled_from(CALENDARS))
        events = self.google_events(calendar)
        if events:
            event = data.draw(st.sampled_from(events))
            self.google.delete_event(calendar, event["id"], send_updates="none")

    @rule(data=st.data())
    def delete_in_odoo(self, data):
        events = self.odoo_events()
        if events:
            data.draw(st.sampled_from(list(events))).with_user(self.case.ann).unlink()

    @rule()
    def sync(self):
        self.case.sync(self.account)

    # -- the property -------------------------------------------------------------------

    def check_converged(self):
        for _attempt in range(3):
            self.case.sync(self.account)
        answer = self.case.sync(self.account)
        changed = {key: value for key, value in answer.items() if isinstance(value, int) and value}
        self.case.assertEqual(changed, {}, "the sync after settling is idle")
        odoo = Counter(
            (
                event.google_calendar_id.google_id
                if not event.google_calendar_id.primary
                else "primary",
                event.google_id,
                event.name,
            )
            for event in self.odoo_events()
        )
        google = Counter(
            (calendar, event["id"], event["summary"])
            for calendar in CALENDARS
            for event in self.google_events(calendar)
        )
        self.case.assertEqual(odoo, google, "both sides hold the same meetings, once each")
        self.case.assertFalse(self.odoo_events().filtered("google_push_pending"))


@tagged("post_install", "-at_install")
class TestConvergenceTwoCalendars(SyncCase):
    def test_two_calendars_converge(self):
        TwoCalendars.case = self
        run_state_machine_as_test(
            TwoCalendars,
            settings=settings(
                max_examples=int(os.environ.get("GCS_CONVERGENCE_CALENDARS_EXAMPLES", 8)),
                stateful_step_count=12,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            ),
        )
