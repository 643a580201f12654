"""Base of the sync tests: Odoo users connected to the local Google fake.

Real HTTP to the fake, real PostgreSQL; the module's own Google client is used
as is. Each test starts with an empty fake (see ``FakeGoogleMixin``) and
connects its users again.
"""

from datetime import datetime, timedelta

import pytz
from google.oauth2.credentials import Credentials

from odoo import Command, fields
from odoo.tests import TransactionCase, new_test_user

from ..engine.client import CalendarClient
from .common import TEST_CLIENT_ID, TEST_CLIENT_SECRET, FakeGoogleMixin

WRITE_OPERATIONS = ("events.insert", "events.patch", "events.update", "events.delete")


class SyncCase(FakeGoogleMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ann = new_test_user(
            cls.env, "ann", email="ann@example.com", tz="Europe/Brussels", groups="base.group_user"
        )
        cls.bob = new_test_user(
            cls.env, "bob", email="bob@example.com", tz="America/New_York", groups="base.group_user"
        )
        set_param = cls.env["ir.config_parameter"].sudo().set_param
        for key, value in {
            "api_root": cls.fake.url,
            "token_endpoint": f"{cls.fake.url}/token",
            "revoke_endpoint": f"{cls.fake.url}/revoke",
            "auth_endpoint": f"{cls.fake.url}/o/oauth2/v2/auth",
            "client_id": TEST_CLIENT_ID,
            "client_secret": TEST_CLIENT_SECRET,
            "send_updates": "all",
            "paused": "",
        }.items():
            set_param(f"google_calendar_sync.{key}", value)

    def setUp(self):
        super().setUp()
        self.Sync = self.env["google.calendar.synchronizer"]

    # -- set-up helpers ---------------------------------------------------------

    def connect(self, user, time_zone=None, default_reminders=None):
        """A Google user for ``user`` in the fake and a connected account in Odoo."""
        email = user.email
        self.fake_control.add_user(
            email,
            time_zone=time_zone or user.tz or "UTC",
            default_reminders=default_reminders or [],
        )
        tokens = self.fake_control.issue_tokens(email, TEST_CLIENT_ID)
        account = self.env["google.calendar.account"].sudo().search([("user_id", "=", user.id)])
        vals = {
            "user_id": user.id,
            "state": "connected",
            "google_email": email,
            "access_token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"],
            "access_token_expiry": fields.Datetime.now()
            + timedelta(seconds=int(tokens.get("expires_in", 3599))),
        }
        if account:
            account.write(vals)
        else:
            account = account.create(vals)
        return account

    def sync(self, account):
        """One sync as the account's ``_sync`` runs it."""
        counts = self.Sync._sync_account(account, account._get_client())
        if counts.get("skipped") != "running":
            account.last_sync = fields.Datetime.now()
        return counts

    def odoo_meeting(self, organizer, name, attendees=(), start=None, **vals):
        """A one-hour meeting created in Odoo by ``organizer`` (a user), with
        ``attendees`` (partners) invited, ten days ahead unless ``start`` says;
        returned as the sync sees it (its sync state is for administrators)."""
        start = start or self.future()
        if attendees:
            vals["partner_ids"] = [Command.set([partner.id for partner in attendees])]
        return (
            self.env["calendar.event"]
            .with_user(organizer)
            .create({"name": name, "start": start, "stop": start + timedelta(hours=1), **vals})
            .sudo()
        )

    def seed(self, email, *events):
        """Store events on Google; returns them as Google serves them."""
        ids = self.fake_control.seed_events(email, list(events))
        stored = self.google_events(email)
        return [stored[event_id] for event_id in ids]

    def google_events(self, email):
        """The user's primary calendar on the fake, cancelled events included."""
        return {event["id"]: event for event in self.fake_control.events(email)}

    def writes(self, email):
        """The write requests the fake received for ``email`` (not reads)."""
        return [
            entry
            for entry in self.fake_control.log(email)
            if entry.get("operation") in WRITE_OPERATIONS
        ]

    def event_of(self, google_id):
        return (
            self.env["calendar.event"]
            .with_context(active_test=False)
            .search([("google_id", "=", google_id)])
        )

    @staticmethod
    def timed_event(summary, start, tz="Europe/Brussels", hours=1):
        """A Google event body from ``start``, a naive local time in ``tz``."""
        zone = pytz.timezone(tz)
        return {
            "summary": summary,
            "start": {"dateTime": zone.localize(start).isoformat(), "timeZone": tz},
            "end": {
                "dateTime": zone.localize(start + timedelta(hours=hours)).isoformat(),
                "timeZone": tz,
            },
        }

    def connect_google_only(self, email):
        """A Google user without Odoo account; returns a client acting as them."""
        self.fake_control.add_user(email, time_zone="Europe/Brussels")
        return self.google_client_of(email)

    def google_client_of(self, email):
        """A client acting as the Google user ``email`` themselves (their browser,
        in effect), with tokens of its own."""
        tokens = self.fake_control.issue_tokens(email, TEST_CLIENT_ID)
        credentials = Credentials(
            token=tokens["access_token"],
            refresh_token=tokens["refresh_token"],
            token_uri=f"{self.fake.url}/token",
            client_id=TEST_CLIENT_ID,
            client_secret=TEST_CLIENT_SECRET,
        )
        return CalendarClient(self.fake.url, credentials)

    @staticmethod
    def future(days=10, hour=9):
        moment = (datetime.now() + timedelta(days=days)).replace(
            hour=hour, minute=0, second=0, microsecond=0
        )
        return moment

    def chatter(self, event):
        return event.message_ids.mapped("body")
