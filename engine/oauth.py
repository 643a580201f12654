"""Google's OAuth 2.0 web-server flow, done safely.

Plain Python (no Odoo): the authorization URL with PKCE, a signed and
expiring ``state``, the authorizations under way, the code exchange and the
revocation. Refreshing an access token is left to
``google.oauth2.credentials.Credentials`` in the Calendar client.

Why a signed state: the state travels through the user's browser and
Google, and comes back to our redirect URI. Anyone can forge a request to
that URI, so the state must prove that *we* issued it, for *this* user and
*this* browser session, recently. Its return target is a local path only, so
it can never be turned into an open redirect.

Several authorizations may be under way at once (the user clicked in two
tabs): the browser session keeps the nonce of each, the account the PKCE
verifier of each (``add_authorization``), a few of them at most, each until
its state expires. An answer spends its own nonce only, and only once its
state has proved genuine: a forged request to the redirect URI cannot cancel
a connection in progress.
"""

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
import time
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

import requests

#: What the module asks Google for, and nothing more.
CALENDAR_SCOPES = (
    # Read and write the events of the user's calendars: the sync lists,
    # inserts, patches and deletes events of the primary calendar.
    "https://www.googleapis.com/auth/calendar.events",
    # Read a calendar's properties: the sync reads the primary calendar once,
    # for its id, which is the address of the Google account.
    "https://www.googleapis.com/auth/calendar.calendars.readonly",
)
#: Read the user's list of calendars (names, colours, access roles): asked
#: only when the administrator lets users sync several calendars.
CALENDAR_LIST_SCOPE = "https://www.googleapis.com/auth/calendar.calendarlist.readonly"
#: Full rights on every calendar: what accounts connected before the module
#: asked for the scopes above were granted (their tokens carry it).
LEGACY_CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"
#: How long a user may take on Google's consent page.
STATE_LIFETIME_SECONDS = 15 * 60
#: Authorizations that one browser session (and one account) may have under
#: way at once; past that, the oldest is forgotten.
MAX_PENDING_AUTHORIZATIONS = 5
#: Timeout (seconds) of our calls to the token and revoke endpoints.
HTTP_TIMEOUT = 20
DEFAULT_RETURN_PATH = "/odoo/calendar"


class InvalidState(Exception):
    """The ``state`` coming back from Google cannot be trusted."""


class TokenExchangeError(Exception):
    """The token endpoint refused to turn the authorization code into tokens.

    ``error`` is Google's error code (e.g. ``invalid_grant``); the message is
    Google's description, which never contains a token.
    """

    def __init__(self, error, description=""):
        super().__init__(description or error)
        self.error = error
        self.description = description


def is_on_this_machine(url):
    """Whether ``url`` names a loopback host (localhost, 127.0.0.0/8, ::1):
    an endpoint there is a stand-in for Google (``make run``'s fake), never
    Google itself."""
    host = (urlsplit(url or "").hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_pkce_pair():
    """A PKCE ``(code_verifier, code_challenge)`` pair, method S256 (RFC 7636)."""
    verifier = _b64url(secrets.token_bytes(48))  # 64 characters, within 43..128
    challenge = _b64url(hashlib.sha256(verifier.encode("ascii")).digest())
    return verifier, challenge


def new_nonce():
    """A random value binding one authorization request to one browser session."""
    return secrets.token_urlsafe(24)


def live_authorizations(pending, now=None):
    """The authorizations under way in ``pending`` whose state has not expired.

    ``pending`` maps a nonce to a dict holding at least ``exp``, the expiry
    (epoch seconds) of the state that names that nonce, as the browser session
    and the account keep them (JSON); anything else in it is dropped.
    """
    if not isinstance(pending, dict):
        return {}
    current = time.time() if now is None else now
    return {
        nonce: entry
        for nonce, entry in pending.items()
        if isinstance(entry, dict) and isinstance(entry.get("exp"), int) and entry["exp"] >= current
    }


def add_authorization(pending, nonce, expires, now=None, **data):
    """``pending`` with one more authorization under way (``data`` kept with it).

    Expired ones are dropped, and only the ``MAX_PENDING_AUTHORIZATIONS``
    newest are kept: a session or an account never piles them up.
    """
    live = live_authorizations(pending, now)
    # A rank rather than the key order or the expiry: PostgreSQL's jsonb does
    # not keep keys in order, and tabs opened within a second expire together.
    rank = 1 + max((_rank(entry) for entry in live.values()), default=0)
    live[nonce] = {**data, "exp": expires, "rank": rank}
    newest = sorted(live.items(), key=lambda item: _rank(item[1]))
    return dict(newest[-MAX_PENDING_AUTHORIZATIONS:])


def _rank(entry):
    return entry["rank"] if isinstance(entry.get("rank"), int) else 0


def missing_scopes(answer):
    """The scopes of ``CALENDAR_SCOPES`` that a token answer does not grant.

    A user may untick some permissions on Google's consent page. An answer
    without ``scope`` granted what was asked (RFC 6749, section 5.1).
    """
    if not answer.get("scope"):
        return []
    granted = set(str(answer["scope"]).split())
    return [scope for scope in CALENDAR_SCOPES if scope not in granted]


def local_path(target, default=DEFAULT_RETURN_PATH):
    """``target`` if it is a path on this server, else ``default``.

    Refuses absolute URLs, scheme-relative ``//host`` forms and backslash
    tricks that browsers read as ``//``.
    """
    if not isinstance(target, str) or not target.startswith("/"):
        return default
    if target.startswith("//") or "\\" in target or any(ord(c) < 32 for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def sign_state(secret, *, user_id, nonce, return_path, now=None):
    """An opaque, tamper-proof state: ``<payload>.<HMAC-SHA256 signature>``."""
    issued = int(time.time() if now is None else now)
    payload = {
        "uid": user_id,
        "nonce": nonce,
        "exp": issued + STATE_LIFETIME_SECONDS,
        "return": local_path(return_path),
    }
    body = _b64url(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_signature(secret, body)}"


def _signature(secret, body):
    digest = hmac.new(secret.encode(), b"google_calendar_sync.state." + body.encode(), "sha256")
    return _b64url(digest.digest())


def verify_state(secret, state, *, user_id, pending_nonces, now=None):
    """The state's payload, once its signature, expiry and owner are checked.

    ``user_id`` and ``pending_nonces`` are those of the request that came
    back: the state must have been issued to the same user, in the same
    session, for one of the authorizations still under way there (its nonce
    is ``payload["nonce"]``). Raises ``InvalidState`` with a reason fit for a
    log line.
    """
    if not state or state.count(".") != 1:
        raise InvalidState("missing or malformed state")
    body, signature = state.split(".")
    if not hmac.compare_digest(signature, _signature(secret, body)):
        raise InvalidState("state signature does not match")
    try:
        payload = json.loads(_b64url_decode(body))
    except ValueError as exc:
        raise InvalidState("state payload is not JSON") from exc
    current = time.time() if now is None else now
    if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int):
        raise InvalidState("state payload is incomplete")
    if payload["exp"] < current:
        raise InvalidState("state has expired")
    if payload.get("uid") != user_id:
        raise InvalidState("state was issued to another user")
    nonce = str(payload.get("nonce") or "").encode()
    if not nonce or not any(
        hmac.compare_digest(nonce, str(pending).encode()) for pending in pending_nonces
    ):
        raise InvalidState("state was issued to another session, or was used already")
    payload["return"] = local_path(payload.get("return"))
    return payload


def authorization_url(
    auth_endpoint, *, client_id, redirect_uri, state, code_challenge, login_hint="", scope=None
):
    """The Google consent page URL for an offline, PKCE-protected grant."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope or " ".join(CALENDAR_SCOPES),
        # offline + consent: Google hands out a refresh token every time,
        # also to a user who had granted access before. No
        # include_granted_scopes: the tokens must not also carry what an
        # earlier version of the module was granted (the broad legacy scope).
        "access_type": "offline",
        "prompt": "consent",
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
    }
    if login_hint:
        params["login_hint"] = login_hint
    separator = "&" if urlsplit(auth_endpoint).query else "?"
    return f"{auth_endpoint}{separator}{urlencode(params)}"


def exchange_code(
    token_endpoint, *, client_id, client_secret, redirect_uri, code, code_verifier, session=None
):
    """Google's token answer for an authorization code (a dict).

    Holds ``access_token``, ``expires_in`` and, when Google grants offline
    access, ``refresh_token``. Raises ``TokenExchangeError``.
    """
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": client_id,
        "client_secret": client_secret,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,
    }
    http = session or requests
    try:
        response = http.post(token_endpoint, data=data, timeout=HTTP_TIMEOUT)
    except requests.RequestException as exc:
        # The exception text names the URL only: the code is in the body.
        raise TokenExchangeError("unreachable", f"token endpoint unreachable: {exc}") from exc
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise TokenExchangeError(
            "malformed", f"token endpoint answered HTTP {response.status_code}"
        )
    if response.status_code != 200 or "error" in answer:
        raise TokenExchangeError(
            str(answer.get("error") or f"http_{response.status_code}"),
            str(answer.get("error_description") or ""),
        )
    if not answer.get("access_token"):
        raise TokenExchangeError("malformed", "token endpoint gave no access token")
    return answer


def revoke_token(revoke_endpoint, token, *, session=None):
    """Ask Google to revoke ``token`` (a refresh token revokes the whole grant).

    True when Google confirmed; False when it did not (already revoked, or
    unreachable): the caller forgets the tokens either way.
    """
    http = session or requests
    try:
        # In the form body, never in the URL: URLs end up in access logs.
        response = http.post(revoke_endpoint, data={"token": token}, timeout=HTTP_TIMEOUT)
    except requests.RequestException:
        return False
    return response.status_code == 200


def expiry_utc_naive(answer, now=None):
    """The access token's expiry as a naive UTC datetime, as Odoo and google-auth
    keep it."""
    return datetime.fromtimestamp(expiry_from(answer, now), UTC).replace(tzinfo=None)


def expiry_from(answer, now=None):
    """Epoch seconds at which the access token of a token answer expires."""
    issued = time.time() if now is None else now
    try:
        lifetime = int(answer.get("expires_in") or 0)
    except (TypeError, ValueError):
        lifetime = 0
    return issued + max(lifetime, 0)
