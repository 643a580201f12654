"""The OAuth round trip seen from the browser: the Sync route and Google's redirect."""

import base64
import hashlib
import time
from urllib.parse import parse_qs, urlencode, urlsplit

from odoo.tests import HttpCase, new_test_user, tagged

from ..engine import oauth

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
        self.assertEqual(params.pop("scope"), "https://www.googleapis.com/auth/calendar")
        self.assertEqual(params.pop("access_type"), "offline")
        self.assertEqual(params.pop("prompt"), "consent")
        self.assertEqual(params.pop("include_granted_scopes"), "true")
        self.assertEqual(params.pop("login_hint"), "ann@example.com")
        self.assertEqual(params.pop("code_challenge_method"), "S256")
        self.assertEqual(
            params.pop("code_challenge"),
            base64.urlsafe_b64encode(hashlib.sha256(account.pkce_verifier.encode()).digest())
            .rstrip(b"=")
            .decode(),
        )
        state = params.pop("state")
        self.assertEqual(params, {})
        # The verifier itself stays on the server.
        self.assertNotIn(account.pkce_verifier, answer["url"])
        payload = oauth.verify_state(
            self.env["ir.config_parameter"].sudo().get_param("database.secret"),
            state,
            user_id=self.ann.id,
            nonce=account.oauth_nonce,
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
        expired = oauth.sign_state(
            account._state_secret(),
            user_id=self.ann.id,
            nonce=account.oauth_nonce,
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
