"""FakeGoogleMixin as colleagues use it: one fake per class, a clean store per test."""

import requests

from odoo.tests import TransactionCase, tagged

from .common import TEST_CLIENT_ID, FakeGoogleMixin


@tagged("post_install", "-at_install")
class TestFakeGoogleMixin(FakeGoogleMixin, TransactionCase):
    def _connect(self):
        tokens = self.fake_control.issue_tokens("user@example.com", TEST_CLIENT_ID)
        return {"Authorization": "Bearer " + tokens["access_token"]}

    def test_1_store_is_usable(self):
        self.assertTrue(self.fake.url.startswith("http://127.0.0.1:"))
        self._connect()
        self.fake_control.seed_events(
            "user@example.com",
            [{"start": {"date": "2030-01-01"}, "end": {"date": "2030-01-02"}}],
        )
        self.fake_control.inject_fault(status=500, count=5)
        self.assertEqual(len(self.fake_control.events("user@example.com")), 1)
        type(self).url_seen = self.fake.url

    def test_2_next_test_starts_empty_with_the_client_kept(self):
        self.assertEqual(self.fake.url, type(self).url_seen, "one fake per class")
        self.assertEqual(self.fake_control.users(), [])
        self.assertEqual(self.fake_control.faults(), [])
        response = requests.get(
            f"{self.fake.url}/calendar/v3/calendars/primary/events",
            headers=self._connect(),
            timeout=10,
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["items"], [])
