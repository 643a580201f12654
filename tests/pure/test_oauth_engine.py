"""engine.oauth on its own: PKCE, the signed state, the authorization URL."""

import base64
import hashlib
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from engine import oauth

SECRET = "database-secret-for-tests"
NOW = 1_800_000_000


def make_state(**overrides):
    values = {"user_id": 7, "nonce": "n-1", "return_path": "/odoo/calendar", "now": NOW}
    values.update(overrides)
    return oauth.sign_state(SECRET, **values)


def test_pkce_challenge_is_s256_of_verifier():
    verifier, challenge = oauth.new_pkce_pair()
    assert 43 <= len(verifier) <= 128
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    assert challenge == expected.rstrip(b"=").decode()
    assert oauth.new_pkce_pair()[0] != verifier


def test_valid_state_round_trip():
    payload = oauth.verify_state(
        SECRET, make_state(), user_id=7, pending_nonces={"n-1"}, now=NOW + 60
    )
    assert payload["uid"] == 7
    assert payload["return"] == "/odoo/calendar"


@pytest.mark.parametrize(
    ("state_kwargs", "verify_kwargs", "complaint"),
    [
        ({}, {"user_id": 8}, "another user"),
        ({}, {"pending_nonces": {"n-2"}}, "another session"),
        ({}, {"pending_nonces": set()}, "another session"),
        ({}, {"now": NOW + oauth.STATE_LIFETIME_SECONDS + 1}, "expired"),
    ],
)
def test_state_refused_for_wrong_user_session_or_age(state_kwargs, verify_kwargs, complaint):
    verify = {"user_id": 7, "pending_nonces": {"n-1"}, "now": NOW + 1, **verify_kwargs}
    with pytest.raises(oauth.InvalidState, match=complaint):
        oauth.verify_state(SECRET, make_state(**state_kwargs), **verify)


def test_tampered_state_refused():
    body, signature = make_state().split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["uid"] = 8
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    with pytest.raises(oauth.InvalidState, match="signature"):
        oauth.verify_state(
            SECRET, f"{forged}.{signature}", user_id=8, pending_nonces={"n-1"}, now=NOW
        )
    with pytest.raises(oauth.InvalidState, match="signature"):
        oauth.verify_state(
            "another-secret", make_state(), user_id=7, pending_nonces={"n-1"}, now=NOW
        )


@pytest.mark.parametrize("state", [None, "", "no-dot", "a.b.c"])
def test_malformed_state_refused(state):
    with pytest.raises(oauth.InvalidState, match="malformed"):
        oauth.verify_state(SECRET, state, user_id=7, pending_nonces={"n-1"}, now=NOW)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/odoo/calendar", "/odoo/calendar"),
        ("/odoo/action-12?view_type=calendar", "/odoo/action-12?view_type=calendar"),
        ("https://evil.example/steal", oauth.DEFAULT_RETURN_PATH),
        ("//evil.example/steal", oauth.DEFAULT_RETURN_PATH),
        ("/\\evil.example", oauth.DEFAULT_RETURN_PATH),
        ("javascript:alert(1)", oauth.DEFAULT_RETURN_PATH),
        ("odoo/calendar", oauth.DEFAULT_RETURN_PATH),
        (None, oauth.DEFAULT_RETURN_PATH),
    ],
)
def test_return_target_is_a_local_path_only(target, expected):
    assert oauth.local_path(target) == expected
    state = make_state(return_path=target)
    assert (
        oauth.verify_state(SECRET, state, user_id=7, pending_nonces={"n-1"}, now=NOW)["return"]
        == expected
    )


def test_authorization_url_parameters():
    url = oauth.authorization_url(
        "https://accounts.example/o/oauth2/v2/auth",
        client_id="cid",
        redirect_uri="https://odoo.example/google_account/authentication",
        state="s.t",
        code_challenge="challenge",
        login_hint="ann@example.com",
    )
    parts = urlsplit(url)
    assert (
        f"{parts.scheme}://{parts.netloc}{parts.path}"
        == "https://accounts.example/o/oauth2/v2/auth"
    )
    assert {key: values[0] for key, values in parse_qs(parts.query).items()} == {
        "response_type": "code",
        "client_id": "cid",
        "redirect_uri": "https://odoo.example/google_account/authentication",
        "scope": "https://www.googleapis.com/auth/calendar.events "
        "https://www.googleapis.com/auth/calendar.calendars.readonly",
        "access_type": "offline",
        "prompt": "consent",
        "state": "s.t",
        "code_challenge": "challenge",
        "code_challenge_method": "S256",
        "login_hint": "ann@example.com",
    }


def test_authorizations_under_way_are_bounded_and_expire():
    pending = None
    for number in range(oauth.MAX_PENDING_AUTHORIZATIONS + 2):
        # Several within one second: the newest still win over the oldest.
        pending = oauth.add_authorization(
            pending, f"n-{number}", NOW + 900, now=NOW, verifier=f"v-{number}"
        )
        # As the account keeps them: jsonb hands the keys back in its own order.
        pending = dict(sorted(pending.items(), reverse=True))
    assert sorted(pending) == [f"n-{n}" for n in range(2, oauth.MAX_PENDING_AUTHORIZATIONS + 2)]
    assert pending["n-6"]["verifier"] == "v-6"
    later = oauth.add_authorization(pending, "n-late", NOW + 1000, now=NOW + 901)
    assert list(later) == ["n-late"], "the others expired with their state"
    assert oauth.live_authorizations(pending, now=NOW + 900) == pending
    assert oauth.live_authorizations(pending, now=NOW + 901) == {}


@pytest.mark.parametrize("kept", [None, "a-nonce", ["n"], {"n": "no expiry"}, {"n": {"exp": "1"}}])
def test_unreadable_authorizations_under_way_are_dropped(kept):
    assert oauth.live_authorizations(kept, now=NOW) == {}


@pytest.mark.parametrize(
    ("granted", "missing"),
    [
        (None, []),  # no scope in the answer: what was asked was granted
        (" ".join(oauth.CALENDAR_SCOPES), []),
        (" ".join(reversed(oauth.CALENDAR_SCOPES)) + " openid", []),
        (oauth.CALENDAR_SCOPES[0], [oauth.CALENDAR_SCOPES[1]]),
        (oauth.LEGACY_CALENDAR_SCOPE, list(oauth.CALENDAR_SCOPES)),
    ],
)
def test_missing_scopes(granted, missing):
    answer = {"access_token": "a"} if granted is None else {"access_token": "a", "scope": granted}
    assert oauth.missing_scopes(answer) == missing


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:8765/o/oauth2/v2/auth", True),
        ("http://localhost:8765", True),
        ("http://LOCALHOST./token", True),
        ("http://127.1.2.3/token", True),
        ("http://[::1]:8765/token", True),
        ("http://fake.localhost:8765", True),
        ("https://accounts.google.com/o/oauth2/v2/auth", False),
        ("https://www.googleapis.com", False),
        ("http://localhost.evil.example", False),
        ("http://10.0.0.1:8765", False),
        ("", False),
        (None, False),
    ],
)
def test_is_on_this_machine(url, local):
    assert oauth.is_on_this_machine(url) is local
