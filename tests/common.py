"""Test helpers shared by the module's Odoo tests: a real local Google per class."""

from odoo.tests.common import _super_send

from ..fake_google import FakeControl, FakeGoogle

TEST_CLIENT_ID = "test-client-id.apps.googleusercontent.com"
TEST_CLIENT_SECRET = "test-client-secret"


class FakeGoogleMixin:
    """Mix into an Odoo TransactionCase/HttpCase, before it in the bases.

    Starts one FakeGoogle on a free loopback port per test class and empties
    its store before each test (the OAuth client stays registered). Exposes
    `cls.fake` (its `url` is the root for every endpoint) and
    `cls.fake_control` (a FakeControl).
    """

    fake_client_id = TEST_CLIENT_ID
    fake_client_secret = TEST_CLIENT_SECRET
    # None accepts any loopback redirect URI (Odoo's test server port varies).
    fake_redirect_uris = None

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        # Odoo's test guard on outgoing HTTP compares the timeout with a
        # number, while our client passes (connect, read): requests to the
        # local fake go straight through, anything else meets the guard.
        if r.url.startswith(cls.fake.url):
            return _super_send(s, r, **kw)
        return super()._request_handler(s, r, **kw)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake = FakeGoogle(
            port=0,
            clients={
                cls.fake_client_id: {
                    "secret": cls.fake_client_secret,
                    "redirect_uris": cls.fake_redirect_uris,
                }
            },
        )
        cls.fake.start()
        cls.addClassCleanup(cls.fake.stop)
        cls.fake_control = FakeControl(cls.fake.url)

    def setUp(self):
        super().setUp()
        self.fake_control.reset(keep_clients=True)
