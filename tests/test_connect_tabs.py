"""Several authorizations under way in one browser session (two tabs), and
forged answers that must not cancel them: real HTTP to Odoo and the fake."""

import base64
import json
from urllib.parse import parse_qs, urlsplit

import requests

from odoo.tests import tagged

from ..engine import oauth
from .test_connect import FakeGoogleConnectCase


@tagged("post_install", "-at_install")
class TestTwoTabs(FakeGoogleConnectCase):
    def another_tab(self, return_path="/odoo/calendar"):
        """Click the Google button again in the same browser session."""
        answer = self.make_jsonrpc_request(
            "/google_calendar_sync/sync", {"return_path": return_path}
        )
        self.assertEqual(answer["status"], "need_auth")
        return {key: values[0] for key, values in parse_qs(urlsplit(answer["url"]).query).items()}

    def google_answer(self, authorize_params, *, email, action="allow"):
        """Answer Google's consent page; the redirect Google sends the browser to
        (path and query), not followed yet."""
        answer = requests.post(
            f"{self.fake.url}/o/oauth2/v2/auth",
            data={**authorize_params, "email": email, "action": action},
            allow_redirects=False,
            timeout=10,
        )
        self.assertEqual(answer.status_code, 302, answer.text)
        location = urlsplit(answer.headers["Location"])
        return f"{location.path}?{location.query}"

    def follow(self, redirect):
        return self.url_open(redirect, allow_redirects=False)

    def code_exchanges(self):
        return [record for record in self.fake_control.log() if record["path"] == "/token"]

    def assert_connected_as(self, email):
        account = self.account_of(self.ann)
        self.assertEqual(account.state, "connected")
        self.assertTrue(account.refresh_token)
        answer = self.make_jsonrpc_request("/google_calendar_sync/sync")
        self.assertEqual(answer["status"], "synced", answer)
        self.assertEqual(account.google_email, email)

    def test_first_tab_answered_after_a_second_tab_started(self):
        first = self.start_authorization("ann")
        self.another_tab()
        response = self.follow(self.google_answer(first, email="ann.g@example.com"))
        self.assertEqual(response.status_code, 303, response.text)
        self.assert_connected_as("ann.g@example.com")

    def test_both_tabs_answered_in_the_order_they_started(self):
        first = self.start_authorization("ann")
        second = self.another_tab()
        first_redirect = self.google_answer(first, email="ann.g@example.com")
        second_redirect = self.google_answer(second, email="ann.other@example.com")
        self.assertEqual(self.follow(first_redirect).status_code, 303)
        tokens = (self.account_of(self.ann).access_token, self.account_of(self.ann).refresh_token)
        # The second answer is refused cleanly: connected already, its code
        # is never exchanged, the tokens stay those of the first answer.
        late = self.follow(second_redirect)
        self.assertEqual(late.status_code, 409)
        self.assertIn("already connected", late.text)
        self.assertEqual(len(self.code_exchanges()), 1)
        account = self.account_of(self.ann)
        self.assertEqual((account.access_token, account.refresh_token), tokens)
        self.assertFalse(account.oauth_pending)
        self.assert_connected_as("ann.g@example.com")

    def test_both_tabs_answered_in_reverse_order(self):
        first = self.start_authorization("ann")
        second = self.another_tab()
        first_redirect = self.google_answer(first, email="ann.g@example.com")
        second_redirect = self.google_answer(second, email="ann.other@example.com")
        self.assertEqual(self.follow(second_redirect).status_code, 303)
        self.assertEqual(self.follow(first_redirect).status_code, 409)
        self.assertEqual(len(self.code_exchanges()), 1)
        self.assert_connected_as("ann.other@example.com")

    def test_denied_in_one_tab_connected_in_the_other(self):
        first = self.start_authorization("ann")
        second = self.another_tab()
        denied = self.follow(self.google_answer(second, email="ann.g@example.com", action="deny"))
        self.assertEqual(denied.status_code, 400)
        self.assertIn("did not allow Odoo", denied.text)
        allowed = self.follow(self.google_answer(first, email="ann.g@example.com"))
        self.assertEqual(allowed.status_code, 303)
        self.assert_connected_as("ann.g@example.com")

    def test_a_session_keeps_the_newest_authorizations_only(self):
        started = [self.start_authorization("ann")]
        started += [self.another_tab() for _ in range(oauth.MAX_PENDING_AUTHORIZATIONS)]
        account = self.account_of(self.ann)
        self.assertEqual(len(account.oauth_pending), oauth.MAX_PENDING_AUTHORIZATIONS)
        oldest = self.follow(self.google_answer(started[0], email="ann.g@example.com"))
        self.assertEqual(oldest.status_code, 403, "forgotten: one tab too many")
        newest = self.follow(self.google_answer(started[-1], email="ann.g@example.com"))
        self.assertEqual(newest.status_code, 303)

    def test_forged_answers_between_start_and_answer_spend_nothing(self):
        """A page the user visits meanwhile makes the browser GET the redirect URI
        with a state of its own: the real answer must still connect."""
        params = self.start_authorization("ann")
        body, signature = params["state"].split(".")
        nonce = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["nonce"]
        forged_states = {
            "none": None,
            "junk": "junk",
            "tampered": f"{body[:-2]}{'AA' if body[-2:] != 'AA' else 'BB'}.{signature}",
            # The right nonce (it can leak, e.g. in a Referer), signed with a wrong key.
            "wrong key": oauth.sign_state(
                "a key the attacker chose",
                user_id=self.ann.id,
                nonce=nonce,
                return_path="/odoo/calendar",
            ),
        }
        for label, state in forged_states.items():
            for answer in ({"code": "4/attacker-code"}, {"error": "access_denied"}):
                with self.subTest(state=label, answer=answer):
                    query = {**answer, **({"state": state} if state else {})}
                    self.assertEqual(self.google_redirect(**query).status_code, 403)
        self.assertEqual(self.code_exchanges(), [], "no forged code was exchanged")
        response = self.follow(self.google_answer(params, email="ann.g@example.com"))
        self.assertEqual(response.status_code, 303, response.text)
        self.assert_connected_as("ann.g@example.com")

    def test_another_users_state_spends_nothing_either(self):
        bob_state = self.start_authorization("bob")["state"]
        params = self.start_authorization("ann")
        self.assertEqual(self.google_redirect(code="4/bob-code", state=bob_state).status_code, 403)
        response = self.follow(self.google_answer(params, email="ann.g@example.com"))
        self.assertEqual(response.status_code, 303)
        self.assert_connected_as("ann.g@example.com")
