"""engine.oauth on its own: PKCE, the signed state, the authorization URL."""

import base64
import hashlib
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from ..engine import oauth

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
    payload = oauth.verify_state(SECRET, make_state(), user_id=7, nonce="n-1", now=NOW + 60)
    assert payload["uid"] == 7
    assert payload["return"] == "/odoo/calendar"


@pytest.mark.parametrize(
    ("state_kwargs", "verify_kwargs", "complaint"),
    [
        ({}, {"user_id": 8}, "another user"),
        ({}, {"nonce": "n-2"}, "another session"),
        ({}, {"nonce": ""}, "another session"),
        ({}, {"now": NOW + oauth.STATE_LIFETIME_SECONDS + 1}, "expired"),
    ],
)
def test_state_refused_for_wrong_user_session_or_age(state_kwargs, verify_kwargs, complaint):
    verify = {"user_id": 7, "nonce": "n-1", "now": NOW + 1, **verify_kwargs}
    with pytest.raises(oauth.InvalidState, match=complaint):
        oauth.verify_state(SECRET, make_state(**state_kwargs), **verify)


def test_tampered_state_refused():
    body, signature = make_state().split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["uid"] = 8
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    with pytest.raises(oauth.InvalidState, match="signature"):
        oauth.verify_state(SECRET, f"{forged}.{signature}", user_id=8, nonce="n-1", now=NOW)
    with pytest.raises(oauth.InvalidState, match="signature"):
        oauth.verify_state("another-secret", make_state(), user_id=7, nonce="n-1", now=NOW)


@pytest.mark.parametrize("state", [None, "", "no-dot", "a.b.c"])
def test_malformed_state_refused(state):
    with pytest.raises(oauth.InvalidState, match="malformed"):
        oauth.verify_state(SECRET, state, user_id=7, nonce="n-1", now=NOW)


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
    assert oauth.verify_state(SECRET, state, user_id=7, nonce="n-1", now=NOW)["return"] == expected


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
        "scope": "https://www.googleapis.com/auth/calendar",
        "access_type": "offline",
        "prompt": "consent",
        "include_granted_scopes": "true",
        "state": "s.t",
        "code_challenge": "challenge",
        "code_challenge_method": "S256",
        "login_hint": "ann@example.com",
    }
