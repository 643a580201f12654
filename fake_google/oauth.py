"""OAuth 2.0 web-server flow: consent page, token endpoint, revocation.

Errors follow Google's shapes: the authorize step shows an error page for a
bad client or redirect URI (it must not redirect to an unverified address) and
redirects with `error=` otherwise; the token endpoint answers
`{"error", "error_description"}` with 400 or 401.
"""

import base64
import hashlib
import html
import re
import secrets
import time
import urllib.parse

from .errors import OAuthError, unauthenticated

CODE_LIFETIME = 600
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PKCE_CHALLENGE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
_SCOPE_PREFIX = "https://www.googleapis.com/auth/"
_OTHER_SCOPES = {"openid", "email", "profile"}
_LOOPBACK = re.compile(r"^http://(localhost|127\.0\.0\.1)(:\d+)?(/.*)?$")
# Parameters the consent form carries from the authorize request to its answer.
_CARRIED = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "access_type",
    "prompt",
    "code_challenge",
    "code_challenge_method",
    "include_granted_scopes",
    "login_hint",
)


class AuthorizePage(Exception):
    """The authorize step ends on one of Google's own pages instead of redirecting."""

    def __init__(self, status, error, description):
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


class OAuth:
    def __init__(self, store, access_token_lifetime):
        self.store = store
        self.access_token_lifetime = access_token_lifetime

    # ---- clients ------------------------------------------------------------

    def add_client(self, client_id, client_secret, redirect_uris=None):
        """Register a client; `redirect_uris=None` accepts any loopback URI (demo)."""
        with self.store.lock:
            self.store.clients[client_id] = {
                "secret": client_secret,
                "redirect_uris": list(redirect_uris) if redirect_uris is not None else None,
            }

    def _redirect_allowed(self, client, redirect_uri):
        if client["redirect_uris"] is None:
            return bool(_LOOPBACK.match(redirect_uri or ""))
        return redirect_uri in client["redirect_uris"]

    # ---- authorize ------------------------------------------------------------

    def _check_authorize(self, params):
        """Validate an authorize request; returns an error to redirect with, or None."""
        client = self.store.clients.get(params.get("client_id") or "")
        if client is None:
            raise AuthorizePage(401, "invalid_client", "The OAuth client was not found.")
        if not self._redirect_allowed(client, params.get("redirect_uri")):
            raise AuthorizePage(
                400,
                "redirect_uri_mismatch",
                "The redirect URI in the request does not match the ones "
                "authorized for the OAuth client.",
            )
        if params.get("response_type") != "code":
            return "unsupported_response_type"
        scopes = (params.get("scope") or "").split()
        if not scopes:
            raise AuthorizePage(400, "invalid_request", "Missing required parameter: scope")
        if any(not s.startswith(_SCOPE_PREFIX) and s not in _OTHER_SCOPES for s in scopes):
            raise AuthorizePage(400, "invalid_scope", "Some requested scopes were invalid.")
        challenge = params.get("code_challenge")
        method = params.get("code_challenge_method")
        if method is not None and challenge is None:
            raise AuthorizePage(400, "invalid_request", "Missing code_challenge.")
        if challenge is not None:
            if (method or "plain") not in ("S256", "plain"):
                raise AuthorizePage(400, "invalid_request", "Invalid code_challenge_method.")
            if not _PKCE_CHALLENGE.match(challenge):
                raise AuthorizePage(400, "invalid_request", "Invalid code_challenge.")
        return None

    def authorize_page(self, params):
        """GET: the consent screen (HTML), or a redirect for a refusable request."""
        with self.store.lock:
            error = self._check_authorize(params)
        if error:
            return self._redirect(params, {"error": error})
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(params[name])}">'
            for name in _CARRIED
            if params.get(name) is not None
        )
        email = html.escape(params.get("login_hint") or "")
        scopes = "".join(f"<li>{html.escape(s)}</li>" for s in params["scope"].split())
        page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sign in - Google Accounts (local fake)</title></head>
<body>
<h1>Local Google fake: consent</h1>
<p>The application <b>{html.escape(params["client_id"])}</b> asks for:</p>
<ul>{scopes}</ul>
<form method="post" action="/o/oauth2/v2/auth">
{hidden}
<label>Account e-mail <input type="email" name="email" value="{email}" required></label>
<button type="submit" name="action" value="allow" id="allow">Allow</button>
<button type="submit" name="action" value="deny" id="deny" formnovalidate>Deny</button>
</form>
</body></html>"""
        return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode()

    def consent(self, params):
        """POST from the consent screen: redirect with a code, or with access_denied."""
        with self.store.lock:
            error = self._check_authorize(params)
            if error:
                return self._redirect(params, {"error": error})
            if params.get("action") != "allow":
                return self._redirect(params, {"error": "access_denied"})
            email = (params.get("email") or "").strip().lower()
            if not _EMAIL.match(email):
                raise AuthorizePage(400, "invalid_request", "A valid account e-mail is required.")
            self.store.add_user(email)
            code = "4/" + secrets.token_urlsafe(32)
            self.store.codes[code] = {
                "client_id": params["client_id"],
                "redirect_uri": params["redirect_uri"],
                "scope": " ".join(params["scope"].split()),
                "email": email,
                "challenge": params.get("code_challenge"),
                "method": params.get("code_challenge_method") or "plain",
                "offline": params.get("access_type") == "offline",
                "force_consent": "consent" in (params.get("prompt") or "").split(),
                "include_granted": params.get("include_granted_scopes") == "true",
                "expires_at": time.time() + CODE_LIFETIME,
                "used": False,
            }
        return self._redirect(params, {"code": code, "scope": params["scope"]})

    def _redirect(self, params, answer):
        if params.get("state") is not None:
            answer["state"] = params["state"]
        target = params["redirect_uri"]
        separator = "&" if urllib.parse.urlparse(target).query else "?"
        return 302, {"Location": target + separator + urllib.parse.urlencode(answer)}, b""

    # ---- token endpoint ----------------------------------------------------------

    def _client(self, form, headers):
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = headers.get("authorization") or ""
        if auth.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(auth[6:]).decode()
            except ValueError as exc:
                raise OAuthError(401, "invalid_client", "Unauthorized") from exc
            client_id, _, secret = decoded.partition(":")
            client_id, secret = urllib.parse.unquote(client_id), urllib.parse.unquote(secret)
        client = self.store.clients.get(client_id or "")
        if client is None:
            raise OAuthError(401, "invalid_client", "The OAuth client was not found.")
        if secret != client["secret"]:
            raise OAuthError(401, "invalid_client", "Unauthorized")
        return client_id

    def token(self, form, headers):
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthError(400, "invalid_request", "Missing required parameter: grant_type")
        if grant_type not in ("authorization_code", "refresh_token"):
            raise OAuthError(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        with self.store.lock:
            client_id = self._client(form, headers)
            if grant_type == "authorization_code":
                return self._exchange_code(form, client_id)
            return self._refresh(form, client_id)

    def _exchange_code(self, form, client_id):
        code = form.get("code")
        if not code:
            raise OAuthError(400, "invalid_request", "Missing required parameter: code")
        grant = self.store.codes.get(code)
        if grant is None or grant["client_id"] != client_id or grant["expires_at"] < time.time():
            raise OAuthError(400, "invalid_grant", "Malformed auth code.")
        if grant["used"]:
            raise OAuthError(400, "invalid_grant", "Bad Request")
        if form.get("redirect_uri") != grant["redirect_uri"]:
            raise OAuthError(400, "redirect_uri_mismatch", "Bad Request")
        if grant["challenge"] is not None:
            verifier = form.get("code_verifier")
            if not verifier:
                raise OAuthError(400, "invalid_grant", "Missing code verifier.")
            if grant["method"] == "S256":
                digest = hashlib.sha256(verifier.encode()).digest()
                computed = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            else:
                computed = verifier
            if not secrets.compare_digest(computed, grant["challenge"]):
                raise OAuthError(400, "invalid_grant", "Invalid code verifier.")
        grant["used"] = True
        key = (grant["email"], client_id)
        with_refresh = grant["offline"] and (grant["force_consent"] or key not in self.store.grants)
        earlier = self.store.grants.get(key, set())
        scope = grant["scope"]
        if grant.get("include_granted"):
            # Incremental authorization: the new tokens also cover what the
            # account granted this client before.
            scope = " ".join([*scope.split(), *sorted(earlier - set(scope.split()))])
        self.grant(grant["email"], client_id, grant["scope"])
        return self.issue(grant["email"], client_id, scope, with_refresh)

    def grant(self, email, client_id, scope):
        """Record that ``email`` granted ``scope`` to the client (Google adds them up)."""
        self.store.grants.setdefault((email, client_id), set()).update(scope.split())

    def _refresh(self, form, client_id):
        token = form.get("refresh_token")
        if not token:
            raise OAuthError(400, "invalid_request", "Missing required parameter: refresh_token")
        record = self.store.refresh_tokens.get(token)
        if record is None:
            raise OAuthError(400, "invalid_grant", "Token has been expired or revoked.")
        if record["client_id"] != client_id:
            raise OAuthError(400, "unauthorized_client", "Unauthorized")
        scope = record["scope"]
        if form.get("scope"):
            asked = form["scope"].split()
            if not set(asked) <= set(scope.split()):
                raise OAuthError(
                    400,
                    "invalid_scope",
                    "The requested scope exceeds the scope originally granted.",
                )
            scope = " ".join(asked)
        answer = self.issue(record["email"], client_id, scope, with_refresh=False)
        self.store.access_tokens[answer["access_token"]]["refresh_token"] = token
        return answer

    def issue(self, email, client_id, scope, with_refresh):
        """New access (and optionally refresh) token for an account and client."""
        access = "ya29." + secrets.token_urlsafe(40)
        answer = {
            "access_token": access,
            "expires_in": self.access_token_lifetime,
            "token_type": "Bearer",
            "scope": scope,
        }
        refresh = None
        if with_refresh:
            refresh = "1//" + secrets.token_urlsafe(40)
            self.store.refresh_tokens[refresh] = {
                "email": email,
                "client_id": client_id,
                "scope": scope,
            }
            answer["refresh_token"] = refresh
        self.store.access_tokens[access] = {
            "email": email,
            "client_id": client_id,
            "scope": scope,
            "refresh_token": refresh,
            "expires_at": time.time() + self.access_token_lifetime,
        }
        return answer

    # ---- revocation ----------------------------------------------------------------

    def revoke(self, token):
        """Revoking any token of a grant ends the whole grant, as Google does."""
        with self.store.lock:
            record = self.store.access_tokens.get(token) or self.store.refresh_tokens.get(token)
            if not token or record is None:
                raise OAuthError(400, "invalid_token", "Token expired or revoked")
            self._end_grant(record["email"], record["client_id"])

    def _end_grant(self, email, client_id):
        for tokens in (self.store.access_tokens, self.store.refresh_tokens):
            for key in [
                k for k, v in tokens.items() if v["email"] == email and v["client_id"] == client_id
            ]:
                del tokens[key]
        self.store.grants.pop((email, client_id), None)

    def revoke_refresh_tokens(self, email):
        """Refresh tokens die (expiry, revocation elsewhere); access tokens live on."""
        with self.store.lock:
            for key in [k for k, v in self.store.refresh_tokens.items() if v["email"] == email]:
                del self.store.refresh_tokens[key]

    def expire_access_tokens(self, email=None):
        with self.store.lock:
            for record in self.store.access_tokens.values():
                if email is None or record["email"] == email:
                    record["expires_at"] = 0

    # ---- API authentication ------------------------------------------------------------

    def authenticate(self, headers):
        """(email, scope, client_id) for the request's bearer token, else a 401."""
        auth = headers.get("authorization") or ""
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthenticated(missing=True)
        with self.store.lock:
            record = self.store.access_tokens.get(token.strip())
            if record is None or record["expires_at"] <= time.time():
                raise unauthenticated(missing=False)
            return record["email"], record["scope"], record["client_id"]
