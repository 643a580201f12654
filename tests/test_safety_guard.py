"""The safety guard: a mass deletion waits for an administrator; nothing is lost meanwhile."""

from datetime import timedelta

import pytest

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from ..engine.reconcile import deletion_needs_confirmation
from .common import TEST_CLIENT_ID
from .sync_common import SyncCase

ANN = "ann@example.com"


@pytest.mark.parametrize(
    ("total", "to_delete", "expected"),
    [
        (3, 2, False),  # a small calendar losing most of it: the user's own doing
        (12, 9, True),  # most of a real calendar at once
        (12, 10, True),
        (30, 10, False),  # a third: within the threshold
        (100, 51, True),
        (0, 10, True),  # deleting what was never synced
        (12, 0, False),
    ],
)
def test_deletion_needs_confirmation(total, to_delete, expected):
    assert deletion_needs_confirmation(total, to_delete, threshold=0.5, minimum=5) is expected


def test_deletion_guard_minimum_must_be_positive():
    with pytest.raises(ValueError, match="minimum"):
        deletion_needs_confirmation(10, 10, threshold=0.5, minimum=0)


@tagged("post_install", "-at_install")
class TestSafetyGuard(SyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.boss = new_test_user(
            cls.env, "boss", email="boss@example.com", groups="base.group_system"
        )
        set_param = cls.env["ir.config_parameter"].sudo().set_param
        set_param("google_calendar_sync.deletion_guard_ratio", "0.5")
        set_param("google_calendar_sync.deletion_guard_minimum", "5")

    def synced_calendar(self, count):
        """Ann, connected, with ``count`` meetings on Google imported into Odoo."""
        account = self.connect(self.ann)
        start = self.future()
        seeded = self.seed(
            ANN,
            *(self.timed_event(f"Meeting {n}", start + timedelta(days=n)) for n in range(count)),
        )
        self.sync(account)
        events = self.env["calendar.event"].search([("google_id", "in", [e["id"] for e in seeded])])
        self.assertEqual(len(events), count)
        return account, seeded, events

    def test_mass_deletion_on_google_held_until_an_administrator_confirms(self):
        account, seeded, events = self.synced_calendar(12)
        google = self.google_client_of(ANN)
        for item in seeded[:10]:
            google.delete_event("primary", item["id"], send_updates="none")
        # Meanwhile Ann deletes one in Odoo: held as well, not sent to Google.
        self.event_of(seeded[11]["id"]).with_user(self.ann).unlink()
        writes_before = len(self.writes(ANN))

        answer = account._run_sync()

        self.assertEqual(answer["status"], "held")
        self.assertIn("10 of the 11", answer["message"])
        self.assertTrue(account.deletion_hold)
        self.assertEqual(len(events.exists()), 11, "nothing deleted in Odoo")
        self.assertEqual(len(self.writes(ANN)), writes_before, "nothing deleted on Google")
        self.assertIn("administrator must confirm", account.last_error)
        self.assertTrue(self.ann.with_user(self.boss).google_calendar_deletion_hold)
        # The hold stands sync after sync, and the Sync button says why.
        self.assertEqual(account._run_sync()["status"], "held")
        self.assertEqual(len(events.exists()), 11)
        self.assertEqual(len(self.writes(ANN)), writes_before)

        # Only an administrator can lift it.
        with self.assertRaises(AccessError):
            self.ann.with_user(self.ann).action_google_calendar_confirm_deletions()
        self.assertTrue(account.deletion_hold)
        self.ann.with_user(self.boss).action_google_calendar_confirm_deletions()
        self.assertFalse(account.deletion_hold)

        answer = self.sync(account)

        self.assertEqual(answer["odoo_deleted"], 10)
        self.assertEqual(answer["google_deleted"], 1)
        self.assertEqual(events.exists(), self.event_of(seeded[10]["id"]))
        self.assertEqual(self.google_events(ANN)[seeded[11]["id"]]["status"], "cancelled")
        self.assertFalse(account.deletions_confirmed, "the confirmation serves once")

    def test_a_few_deletions_pass_unheld(self):
        account, seeded, _events = self.synced_calendar(3)
        google = self.google_client_of(ANN)
        for item in seeded[:2]:
            google.delete_event("primary", item["id"], send_updates="none")
        answer = self.sync(account)
        self.assertEqual(answer["odoo_deleted"], 2)
        self.assertFalse(account.deletion_hold)

    def test_empty_calendar_after_a_full_resync_deletes_nothing(self):
        """The account suddenly opens an empty calendar (a reconnection to another
        Google account, a wiped calendar seen in full): absent is not deleted."""
        account, _seeded, events = self.synced_calendar(6)
        self.fake_control.add_user("empty@example.com", time_zone="Europe/Brussels")
        tokens = self.fake_control.issue_tokens("empty@example.com", TEST_CLIENT_ID)
        account.write(
            {
                "access_token": tokens["access_token"],
                "refresh_token": tokens["refresh_token"],
                "sync_token": False,
            }
        )
        answer = self.sync(account)
        self.assertEqual(answer["odoo_deleted"], 0)
        self.assertEqual(len(events.exists()), 6)
        self.assertEqual(self.writes(ANN), [])
        live = [e for e in self.google_events(ANN).values() if e.get("status") != "cancelled"]
        self.assertEqual(len(live), 6, "Ann's real calendar untouched")

    def test_other_users_keep_syncing_while_one_is_held(self):
        account, seeded, _events = self.synced_calendar(6)
        bob_account = self.connect(self.bob)
        self.sync(bob_account)
        google = self.google_client_of(ANN)
        for item in seeded:
            google.delete_event("primary", item["id"], send_updates="none")
        self.assertEqual(account._run_sync()["status"], "held")
        start = self.future(days=3)
        bob_event = (
            self.env["calendar.event"]
            .with_user(self.bob)
            .create({"name": "Bob's", "start": start, "stop": start + timedelta(hours=1)})
            .sudo()
        )
        self.assertEqual(self.sync(bob_account)["google_created"], 1)
        self.assertIn(bob_event.google_id, self.google_events("bob@example.com"))
