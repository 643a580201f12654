"""The OAuth round trip seen from the browser: the Sync route and Google's redirect."""

import base64
import hashlib
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from odoo.tests import HttpCase, new_test_user, tagged

from ..engine import oauth
from .common import FakeGoogleMixin

PARAMS = "google_calendar_sync."


class ConnectCase(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ann = new_test_user(cls.env, "ann", email="ann@example.com", groups="base.group_user")
        cls.bob = new_test_user(cls.env, "bob", email="bob@example.com", groups="base.group_user")

    @classmethod
    def configure(cls, root="https://accounts.example", client_id="odoo-client"):
        set_param = cls.env["ir.config_parameter"].sudo().set_param
        set_param(PARAMS + "client_id", client_id)
        set_param(PARAMS + "client_secret", "odoo-secret")
        set_param(PARAMS + "auth_endpoint", f"{root}/o/oauth2/v2/auth")
        set_param(PARAMS + "token_endpoint", f"{root}/token")
        set_param(PARAMS + "revoke_endpoint", f"{root}/revoke")
        set_param(PARAMS + "api_root", root)

    def start_authorization(self, login, return_path="/odoo/calendar"):
        """Log in as ``login``, click Sync; the authorization URL's query parameters."""
        self.authenticate(login, login)
        answer = self.make_jsonrpc_request(
            "/google_calendar_sync/sync", {"return_path": return_path}
        )
        self.assertEqual(answer["status"], "need_auth")
        return {key: values[0] for key, values in parse_qs(urlsplit(answer["url"]).query).items()}

    def google_redirect(self, **params):
        return self.url_open(
            "/google_account/authentication?" + urlencode(params), allow_redirects=False
        )

    def account_of(self, user):
        return self.env["google.calendar.account"].sudo().search([("user_id", "=", user.id)])


@tagged("post_install", "-at_install")
class TestSyncRouteBeforeConnection(ConnectCase):
    def test_need_config_until_client_is_set(self):
        self.authenticate("ann", "ann")
        self.assertEqual(
            self.make_jsonrpc_request("/google_calendar_sync/sync"), {"status": "need_config"}
        )

    def test_paused_for_everyone(self):
        self.configure()
        self.env["ir.config_parameter"].sudo().set_param(PARAMS + "paused", "True")
        self.authenticate("ann", "ann")
        self.assertEqual(
            self.make_jsonrpc_request("/google_calendar_sync/sync"), {"status": "paused"}
        )

    def test_authorization_url_parameters(self):
        self.configure()
        self.authenticate("ann", "ann")
        answer = self.make_jsonrpc_request("/google_calendar_sync/sync")
        url = urlsplit(answer["url"])
        self.assertEqual(
            f"{url.scheme}://{url.netloc}{url.path}", "https://accounts.example/o/oauth2/v2/auth"
        )
        params = {key: values[0] for key, values in parse_qs(url.query).items()}
        account = self.account_of(self.ann)
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        self.assertEqual(params.pop("redirect_uri"), f"{base_url}/google_account/authentication")
        self.assertEqual(params.pop("client_id"), "odoo-client")
        self.assertEqual(params.pop("response_type"), "code")
        # Least privilege: events, and the calendars' properties read-only.
        self.assertEqual(
            params.pop("scope"),
            "https://www.googleapis.com/auth/calendar.events "
            "https://www.googleapis.com/auth/calendar.calendars.readonly",
        )
        self.assertEqual(params.pop("access_type"), "offline")
        self.assertEqual(params.pop("prompt"), "consent")
        self.assertEqual(params.pop("login_hint"), "ann@example.com")
        self.assertEqual(params.pop("code_challenge_method"), "S256")
        [(nonce, pending)] = account.oauth_pending.items()
        self.assertEqual(
            params.pop("code_challenge"),
            base64.urlsafe_b64encode(hashlib.sha256(pending["verifier"].encode()).digest())
            .rstrip(b"=")
            .decode(),
        )
        state = params.pop("state")
        self.assertEqual(params, {})
        # The verifier itself stays on the server.
        self.assertNotIn(pending["verifier"], answer["url"])
        payload = oauth.verify_state(
            self.env["ir.config_parameter"].sudo().get_param("database.secret"),
            state,
            user_id=self.ann.id,
            pending_nonces={nonce},
        )
        self.assertEqual(payload["return"], "/odoo/calendar")


@tagged("post_install", "-at_install")
class TestRedirectRefusals(ConnectCase):
    """Google's redirect is refused unless its state is ours, fresh, and this session's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.configure()

    def assert_refused(self, response):
        self.assertEqual(response.status_code, 403)
        self.assertIn("cannot be accepted", response.text)
        self.assertFalse(self.account_of(self.ann).refresh_token)
        self.assertNotEqual(self.account_of(self.ann).state, "connected")

    def test_missing_state(self):
        self.start_authorization("ann")
        self.assert_refused(self.google_redirect(code="a-code"))

    def test_tampered_state(self):
        state = self.start_authorization("ann")["state"]
        body, signature = state.split(".")
        tampered = body[:-2] + ("AA" if body[-2:] != "AA" else "BB")
        self.assert_refused(self.google_redirect(code="a-code", state=f"{tampered}.{signature}"))

    def test_expired_state(self):
        self.start_authorization("ann")
        account = self.account_of(self.ann)
        [nonce] = account.oauth_pending
        expired = oauth.sign_state(
            account._state_secret(),
            user_id=self.ann.id,
            nonce=nonce,
            return_path="/odoo/calendar",
            now=time.time() - oauth.STATE_LIFETIME_SECONDS - 5,
        )
        self.assert_refused(self.google_redirect(code="a-code", state=expired))

    def test_state_of_another_user(self):
        state = self.start_authorization("ann")["state"]
        # Bob has an authorization of his own under way, in his own session.
        self.start_authorization("bob")
        response = self.google_redirect(code="a-code", state=state)
        self.assertEqual(response.status_code, 403)
        self.assertFalse(self.account_of(self.bob).refresh_token)
        self.assertFalse(self.account_of(self.ann).refresh_token)

    def test_state_of_another_session_of_the_same_user(self):
        state = self.start_authorization("ann")["state"]
        self.authenticate("ann", "ann")  # a new browser session
        self.assert_refused(self.google_redirect(code="a-code", state=state))

    def test_state_is_good_for_one_answer_only(self):
        state = self.start_authorization("ann")["state"]
        self.assertEqual(self.google_redirect(error="access_denied", state=state).status_code, 400)
        self.assert_refused(self.google_redirect(code="a-code", state=state))

    def test_access_denied_explained_with_a_local_way_back(self):
        state = self.start_authorization("ann", return_path="https://evil.example/phish")["state"]
        response = self.google_redirect(error="access_denied", state=state)
        self.assertEqual(response.status_code, 400)
        self.assertIn("did not allow Odoo", response.text)
        self.assertIn('href="/odoo/calendar"', response.text)
        self.assertNotIn("evil.example", response.text)
        self.assertEqual(self.account_of(self.ann).state, "not_connected")


class FakeGoogleConnectCase(FakeGoogleMixin, ConnectCase):
    """Odoo configured for a local fake Google, on real HTTP both ways."""

    client_id = "odoo-test-client.apps.googleusercontent.com"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.configure(root=cls.fake.url, client_id=cls.client_id)

    def setUp(self):
        super().setUp()
        # Google sends the browser back to the redirect URI registered for the
        # client: this test server's.
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", self.base_url())
        self.redirect_uri = f"{self.base_url()}/google_account/authentication"
        self.fake_control.add_client(self.client_id, "odoo-secret", [self.redirect_uri])

    def consent(self, authorize_params, *, email, action="allow", **form_overrides):
        """Answer Google's consent page as the browser would; Odoo's answer to the redirect."""
        page = requests.get(
            f"{self.fake.url}/o/oauth2/v2/auth", params=authorize_params, timeout=10
        )
        self.assertEqual(page.status_code, 200, page.text)
        self.assertIn('id="allow"', page.text)
        form = {**authorize_params, **form_overrides, "email": email, "action": action}
        answer = requests.post(
            f"{self.fake.url}/o/oauth2/v2/auth", data=form, allow_redirects=False, timeout=10
        )
        self.assertEqual(answer.status_code, 302, answer.text)
        location = urlsplit(answer.headers["Location"])
        self.assertEqual(f"{location.scheme}://{location.netloc}{location.path}", self.redirect_uri)
        return self.url_open(f"{location.path}?{location.query}", allow_redirects=False)


@tagged("post_install", "-at_install")
class TestConnectThroughGoogle(FakeGoogleConnectCase):
    def test_consent_connects_and_the_calendar_then_syncs(self):
        response = self.consent(self.start_authorization("ann"), email="ann.g@example.com")
        self.assertEqual(response.status_code, 303)
        self.assertEqual(urlsplit(response.headers["Location"]).path, "/odoo/calendar")
        account = self.account_of(self.ann)
        self.assertEqual(account.state, "connected")
        self.assertTrue(account.refresh_token.startswith("1//"))
        self.assertTrue(account.access_token.startswith("ya29."))
        self.assertTrue(account.access_token_expiry)
        # The code and its PKCE verifier served once and are gone.
        self.assertFalse(account.oauth_pending)

        # Back in Calendar, the button syncs.
        answer = self.make_jsonrpc_request("/google_calendar_sync/sync")
        self.assertEqual(answer["status"], "synced", answer)
        self.assertEqual(account.google_email, "ann.g@example.com")
        self.assertTrue(account.last_sync)
        self.assertEqual(self.ann.with_user(self.ann).google_calendar_state, "connected")
        # The access token travelled in the Authorization header only.
        for record in self.fake_control.log():
            self.assertNotIn(account.access_token, f"{record['path']} {record['query']}")
            self.assertNotIn(account.refresh_token, f"{record['path']} {record['query']}")

    def test_external_return_url_is_replaced_by_the_calendar(self):
        params = self.start_authorization("ann", return_path="https://evil.example/phish")
        response = self.consent(params, email="ann.g@example.com")
        self.assertEqual(response.status_code, 303)
        location = urlsplit(response.headers["Location"])
        self.assertEqual(location.path, "/odoo/calendar")
        self.assertNotIn("evil.example", response.headers["Location"])

    def test_deny_on_consent_page(self):
        response = self.consent(
            self.start_authorization("ann"), email="ann.g@example.com", action="deny"
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("did not allow Odoo", response.text)
        self.assertFalse(self.account_of(self.ann).refresh_token)

    def test_no_refresh_token_is_explained_and_nothing_kept(self):
        # Ann granted access before; Google then answers a re-authorization
        # without prompt=consent with an access token only.
        self.fake_control.issue_tokens("ann.g@example.com", self.client_id)
        response = self.consent(
            self.start_authorization("ann"), email="ann.g@example.com", prompt=""
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("did not grant offline access", response.text)
        account = self.account_of(self.ann)
        self.assertEqual(account.state, "not_connected")
        self.assertFalse(account.access_token)
        self.assertFalse(account.refresh_token)

    def test_code_from_another_authorization_is_refused_by_google(self):
        # Bob's code replayed in Ann's session: her state is valid, but the code
        # was issued for Bob's PKCE challenge, so the exchange fails.
        bob_params = self.start_authorization("bob")
        bob_page = requests.post(
            f"{self.fake.url}/o/oauth2/v2/auth",
            data={**bob_params, "email": "bob.g@example.com", "action": "allow"},
            allow_redirects=False,
            timeout=10,
        )
        bob_code = parse_qs(urlsplit(bob_page.headers["Location"]).query)["code"][0]
        ann_state = self.start_authorization("ann")["state"]
        response = self.google_redirect(code=bob_code, state=ann_state)
        self.assertEqual(response.status_code, 400)
        self.assertIn("refused to complete the connection", response.text)
        self.assertFalse(self.account_of(self.ann).refresh_token)

    def test_stop_restart_disconnect(self):
        self.consent(self.start_authorization("ann"), email="ann.g@example.com")
        account = self.account_of(self.ann)
        refresh_token = account.refresh_token
        self.assertEqual(
            self.make_jsonrpc_request("/google_calendar_sync/stop")["state"], "stopped"
        )
        self.assertEqual(account.refresh_token, refresh_token)
        self.assertEqual(
            self.make_jsonrpc_request("/google_calendar_sync/sync"), {"status": "stopped"}
        )
        self.assertEqual(
            self.make_jsonrpc_request("/google_calendar_sync/restart")["state"], "connected"
        )
        self.assertEqual(
            self.make_jsonrpc_request("/google_calendar_sync/sync")["status"], "synced"
        )

        status = self.make_jsonrpc_request("/google_calendar_sync/disconnect")
        self.assertEqual(status["state"], "disconnected")
        self.assertFalse(account.refresh_token)
        self.assertFalse(account.access_token)
        # Revoked at Google: the old refresh token no longer works there.
        refused = requests.post(
            f"{self.fake.url}/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": self.client_id,
                "client_secret": "odoo-secret",
            },
            timeout=10,
        )
        self.assertEqual(refused.json()["error"], "invalid_grant")
        # Clicking Google again starts a new authorization.
        self.assertEqual(
            self.make_jsonrpc_request("/google_calendar_sync/sync")["status"], "need_auth"
        )
