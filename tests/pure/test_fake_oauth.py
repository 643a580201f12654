"""The fake's OAuth flow: consent, code exchange, PKCE, refresh, revoke, 401s."""

import base64
import hashlib
import time
import urllib.parse

import requests

from fake_google import FakeControl, FakeGoogle

import fake_fixtures
from fake_fixtures import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, SCOPE

fake, ctl = fake_fixtures.fake, fake_fixtures.ctl


def _authorize(fake, **overrides):
    params = {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": SCOPE,
        "access_type": "offline",
        "state": "a b&c=d/é",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def _consent(fake, action="allow", email="carol@example.com", **overrides):
    form = dict(_authorize(fake, **overrides), action=action, email=email)
    response = requests.post(
        f"{fake.url}/o/oauth2/v2/auth", data=form, allow_redirects=False, timeout=10
    )
    return response


def _query(response):
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


def _exchange(fake, code, **overrides):
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": REDIRECT_URI,
    }
    form.update(overrides)
    return requests.post(f"{fake.url}/token", data={k: v for k, v in form.items() if v}, timeout=10)


def test_consent_page_shows_form(fake):
    response = requests.get(
        f"{fake.url}/o/oauth2/v2/auth",
        params=_authorize(fake, login_hint="dave@example.com"),
        timeout=10,
    )
    assert response.status_code == 200
    assert 'value="allow"' in response.text and 'value="deny"' in response.text
    assert "dave@example.com" in response.text


def test_authorize_rejects_unknown_client_and_redirect(fake):
    response = requests.get(
        f"{fake.url}/o/oauth2/v2/auth", params=_authorize(fake, client_id="nope"), timeout=10
    )
    assert response.status_code == 401 and "invalid_client" in response.text
    response = requests.get(
        f"{fake.url}/o/oauth2/v2/auth",
        allow_redirects=False,
        params=_authorize(fake, redirect_uri="http://evil/cb"),
        timeout=10,
    )
    assert response.status_code == 400 and "redirect_uri_mismatch" in response.text
    response = requests.get(
        f"{fake.url}/o/oauth2/v2/auth",
        allow_redirects=False,
        params=_authorize(fake, response_type="token"),
        timeout=10,
    )
    assert response.status_code == 302
    assert _query(response)["error"] == "unsupported_response_type"
    response = requests.get(
        f"{fake.url}/o/oauth2/v2/auth", params=_authorize(fake, scope=None), timeout=10
    )
    assert response.status_code == 400


def test_deny_redirects_with_access_denied_and_state(fake):
    answer = _query(_consent(fake, action="deny"))
    assert answer == {"error": "access_denied", "state": "a b&c=d/é"}


def test_code_flow_creates_account_and_tokens_work(fake, ctl):
    answer = _query(_consent(fake))
    assert answer["state"] == "a b&c=d/é"
    tokens = _exchange(fake, answer["code"]).json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    assert tokens["refresh_token"].startswith("1//") and tokens["scope"] == SCOPE
    response = requests.get(
        f"{fake.url}/calendar/v3/users/me/calendarList",
        timeout=10,
        headers={"Authorization": "Bearer " + tokens["access_token"]},
    )
    assert response.status_code == 200
    assert [c["id"] for c in response.json()["items"]] == ["carol@example.com"]
    assert [u["email"] for u in ctl.users()] == ["carol@example.com"]
    # A code is single-use.
    again = _exchange(fake, answer["code"])
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_second_consent_gives_refresh_token_only_with_prompt_consent(fake):
    _exchange(fake, _query(_consent(fake))["code"])
    second = _exchange(fake, _query(_consent(fake))["code"]).json()
    assert "refresh_token" not in second
    third = _exchange(fake, _query(_consent(fake, prompt="consent"))["code"]).json()
    assert "refresh_token" in third


def test_token_endpoint_errors(fake):
    code = _query(_consent(fake))["code"]
    wrong_secret = _exchange(fake, code, client_secret="bad")
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"
    unknown = _exchange(fake, code, client_id="other")
    assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_client"
    mismatch = _exchange(fake, code, redirect_uri="http://127.0.0.1:8069/other")
    assert mismatch.status_code == 400 and mismatch.json()["error"] == "redirect_uri_mismatch"
    bogus = _exchange(fake, "4/bogus")
    assert bogus.status_code == 400 and bogus.json()["error"] == "invalid_grant"
    assert _exchange(fake, code).status_code == 200
    grant = requests.post(f"{fake.url}/token", data={"grant_type": "password"}, timeout=10)
    assert grant.json()["error"] == "unsupported_grant_type"


def test_pkce_s256_is_enforced(fake):
    verifier = "v" * 50
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    )
    code = _query(_consent(fake, code_challenge=challenge, code_challenge_method="S256"))["code"]
    missing = _exchange(fake, code)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_grant"
    wrong = _exchange(fake, code, code_verifier="w" * 50)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    assert _exchange(fake, code, code_verifier=verifier).status_code == 200
    bad_method = requests.get(
        f"{fake.url}/o/oauth2/v2/auth",
        timeout=10,
        params=_authorize(fake, code_challenge=challenge, code_challenge_method="S512"),
    )
    assert bad_method.status_code == 400


def test_refresh_expiry_and_revoke(fake, ctl):
    tokens = _exchange(fake, _query(_consent(fake))["code"]).json()
    api = f"{fake.url}/calendar/v3/users/me/calendarList"

    def call(access):
        return requests.get(api, headers={"Authorization": f"Bearer {access}"}, timeout=10)

    ctl.expire_access_tokens("carol@example.com")
    expired = call(tokens["access_token"])
    assert expired.status_code == 401
    assert expired.json()["error"]["errors"][0]["reason"] == "authError"
    refreshed = requests.post(
        f"{fake.url}/token",
        timeout=10,
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    ).json()
    assert "refresh_token" not in refreshed
    assert call(refreshed["access_token"]).status_code == 200

    revoke = requests.post(
        f"{fake.url}/revoke", data={"token": tokens["refresh_token"]}, timeout=10
    )
    assert revoke.status_code == 200
    assert call(refreshed["access_token"]).status_code == 401
    dead = requests.post(
        f"{fake.url}/token",
        timeout=10,
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    )
    assert dead.status_code == 400
    assert dead.json() == {
        "error": "invalid_grant",
        "error_description": "Token has been expired or revoked.",
    }
    assert requests.post(f"{fake.url}/revoke", data={"token": "x"}, timeout=10).status_code == 400


def test_control_revoke_refresh_tokens(fake, ctl):
    tokens = ctl.issue_tokens("erin@example.com", CLIENT_ID)
    ctl.revoke_refresh_tokens("erin@example.com")
    dead = requests.post(
        f"{fake.url}/token",
        timeout=10,
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    )
    assert dead.json()["error"] == "invalid_grant"


def test_api_without_or_with_bad_token_gets_googles_401(fake):
    url = f"{fake.url}/calendar/v3/calendars/primary/events"
    missing = requests.get(url, timeout=10)
    assert missing.status_code == 401
    body = missing.json()["error"]
    assert body["code"] == 401 and body["status"] == "UNAUTHENTICATED"
    assert body["errors"][0]["reason"] == "required"
    bad = requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=10)
    assert bad.status_code == 401 and bad.json()["error"]["errors"][0]["reason"] == "authError"
    assert "WWW-Authenticate" in bad.headers


def test_read_only_scope_cannot_write(fake, ctl):
    tokens = ctl.issue_tokens(
        "ro@example.com", CLIENT_ID, scope="https://www.googleapis.com/auth/calendar.readonly"
    )
    headers = {"Authorization": "Bearer " + tokens["access_token"]}
    url = f"{fake.url}/calendar/v3/calendars/primary/events"
    assert requests.get(url, headers=headers, timeout=10).status_code == 200
    write = requests.post(
        url,
        headers=headers,
        timeout=10,
        json={"start": {"date": "2030-01-01"}, "end": {"date": "2030-01-02"}},
    )
    assert write.status_code == 403
    assert write.json()["error"]["errors"][0]["reason"] == "insufficientPermissions"


def test_access_tokens_expire_after_the_configured_lifetime():
    with FakeGoogle(port=0, access_token_lifetime=1) as short_lived:
        control = FakeControl(short_lived.url)
        control.add_client("c", "s")
        tokens = control.issue_tokens("fast@example.com", "c")
        assert tokens["expires_in"] == 1
        url = f"{short_lived.url}/calendar/v3/users/me/calendarList"
        headers = {"Authorization": "Bearer " + tokens["access_token"]}
        assert requests.get(url, headers=headers, timeout=10).status_code == 200
        time.sleep(1.1)
        assert requests.get(url, headers=headers, timeout=10).status_code == 401


EVENTS_SCOPE = "https://www.googleapis.com/auth/calendar.events"
CALENDARS_READ_SCOPE = "https://www.googleapis.com/auth/calendar.calendars.readonly"


def test_the_two_narrow_scopes_do_all_the_sync_does_and_no_more(fake, ctl):
    """calendar.events + calendar.calendars.readonly: what google_calendar_sync asks for."""
    ctl.add_user("narrow@example.com")
    tokens = ctl.issue_tokens(
        "narrow@example.com", CLIENT_ID, scope=f"{EVENTS_SCOPE} {CALENDARS_READ_SCOPE}"
    )
    api = requests.Session()
    api.headers["Authorization"] = "Bearer " + tokens["access_token"]
    root = f"{fake.url}/calendar/v3"
    primary = api.get(f"{root}/calendars/primary", timeout=10)
    assert primary.status_code == 200 and primary.json()["id"] == "narrow@example.com"
    body = {"summary": "Narrow", "start": {"date": "2030-01-01"}, "end": {"date": "2030-01-02"}}
    created = api.post(f"{root}/calendars/primary/events", json=body, timeout=10)
    assert created.status_code == 200, created.text
    event_url = f"{root}/calendars/primary/events/{created.json()['id']}"
    listed = api.get(f"{root}/calendars/primary/events", timeout=10)
    assert [item["summary"] for item in listed.json()["items"]] == ["Narrow"]
    assert api.patch(event_url, json={"summary": "Renamed"}, timeout=10).status_code == 200
    assert api.delete(event_url, timeout=10).status_code == 204
    # The calendar list, the calendars' settings and anything else stay out of reach.
    refused = api.get(f"{root}/users/me/calendarList", timeout=10)
    assert refused.status_code == 403
    assert refused.json()["error"]["errors"][0]["reason"] == "insufficientPermissions"


def test_events_scope_alone_cannot_read_the_calendar(fake, ctl):
    tokens = ctl.issue_tokens("events@example.com", CLIENT_ID, scope=EVENTS_SCOPE)
    headers = {"Authorization": "Bearer " + tokens["access_token"]}
    primary = requests.get(f"{fake.url}/calendar/v3/calendars/primary", headers=headers, timeout=10)
    assert primary.status_code == 403


def test_grants_add_up_and_include_granted_scopes_extends_the_tokens(fake, ctl):
    first = _exchange(fake, _query(_consent(fake, scope=SCOPE))["code"]).json()
    assert first["scope"] == SCOPE
    narrow = f"{EVENTS_SCOPE} {CALENDARS_READ_SCOPE}"
    second = _exchange(fake, _query(_consent(fake, scope=narrow, prompt="consent"))["code"])
    assert second.json()["scope"] == narrow, "only what was asked for"
    third = _exchange(
        fake,
        _query(_consent(fake, scope=narrow, prompt="consent", include_granted_scopes="true"))[
            "code"
        ],
    )
    assert third.json()["scope"].split() == [EVENTS_SCOPE, CALENDARS_READ_SCOPE, SCOPE]
    [grant] = ctl.grants("carol@example.com")
    assert grant["client_id"] == CLIENT_ID
    assert grant["scopes"] == sorted([SCOPE, EVENTS_SCOPE, CALENDARS_READ_SCOPE])
    # Revoking ends the grant and everything it held.
    revoked = requests.post(
        f"{fake.url}/revoke", data={"token": first["refresh_token"]}, timeout=10
    )
    assert revoked.status_code == 200
    assert ctl.grants() == []
