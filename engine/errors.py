"""Google's errors as typed exceptions.

Every exception carries the HTTP ``status``, Google's ``reason`` and a
readable ``message``. None of them ever carries an access or refresh token:
messages are built from Google's error body, which holds none, and the
client scrubs its current token out of them anyway.
"""

import json

# Statuses Google answers for a momentary failure on its side.
_TRANSIENT_STATUSES = frozenset({408, 500, 502, 503, 504})
_RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
_QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
# Longest slice of an unreadable body quoted in a message.
_EXCERPT_LENGTH = 200


class GoogleApiError(Exception):
    """Base of every error the Calendar client reports."""

    #: True when the same request may succeed if sent again later.
    retryable = False
    #: True when Google may have applied the request although no answer says
    #: so: sending a write again could apply it twice.
    maybe_applied = False

    def __init__(self, message, *, status=None, reason="", retry_after=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.reason = reason
        #: Seconds Google asked to wait (``Retry-After``), or None.
        self.retry_after = retry_after
        #: How many times the client sent the request before giving up.
        self.attempts = 1

    def __str__(self):
        parts = [str(self.status)] if self.status else []
        if self.reason:
            parts.append(self.reason)
        prefix = f"[{' '.join(parts)}] " if parts else ""
        return f"{prefix}{self.message}"


class AuthError(GoogleApiError):
    """401: the access token was refused even after a refresh; reconnect."""


class InvalidGrant(AuthError):
    """The refresh token is revoked or expired: the user must reconnect."""


class InvalidClient(AuthError):
    """The token endpoint does not know the configured client id/secret."""


class BadRequest(GoogleApiError):
    """400: the request itself is wrong; sending it again cannot help."""


class Forbidden(GoogleApiError):
    """403 not about rates (e.g. ``forbiddenForNonOrganizer``); not retryable."""


class QuotaExceeded(GoogleApiError):
    """403 ``quotaExceeded``: the calendar is read-only for hours; stop writing."""


class RateLimited(GoogleApiError):
    """429, or 403 ``rateLimitExceeded``/``userRateLimitExceeded``: back off."""

    retryable = True


class NotFound(GoogleApiError):
    """404: no such calendar or event on Google."""


class Duplicate(GoogleApiError):
    """409: an event with this id exists (an earlier insert already happened)."""


class SyncTokenExpired(GoogleApiError):
    """410 ``fullSyncRequired``: drop the sync token and sync in full."""


class EventGone(GoogleApiError):
    """410 ``deleted``: the event was already deleted."""


class PreconditionFailed(GoogleApiError):
    """412 ``conditionNotMet``: the event changed since its etag was read."""


class TransientError(GoogleApiError):
    """5xx, dropped connection or timeout, still failing after the retries.

    ``sent=False`` when the request never left (the token endpoint failed
    first): then Google cannot have applied it.
    """

    retryable = True

    def __init__(self, message, *, sent=True, **kwargs):
        super().__init__(message, **kwargs)
        self.maybe_applied = sent


class MalformedResponse(GoogleApiError):
    """Google answered something that is not the JSON the API promises."""

    # The answer came, unreadable: the request may well have been applied.
    maybe_applied = True


class RateBudgetExhausted(GoogleApiError):
    """Our own per-user budget is spent; resume in ``retry_after`` seconds.

    Nothing was sent: the caller keeps what it has done and tries later.
    """

    def __init__(self, message, **kwargs):
        super().__init__(message, **kwargs)
        self.attempts = 0


def _excerpt(raw):
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    text = " ".join(text.split())
    if len(text) > _EXCERPT_LENGTH:
        text = text[:_EXCERPT_LENGTH] + "..."
    return text or "(empty body)"


def parse_retry_after(value):
    """Seconds from a ``Retry-After`` header in seconds form, else None."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        # The HTTP-date form is not used by Google's APIs; ignoring it only
        # means falling back to our own backoff.
        return None
    return max(seconds, 0.0)


def _envelope(raw):
    """(message, reason) out of Google's error envelope, or None if absent."""
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    error = data.get("error")
    if isinstance(error, str):
        # OAuth endpoints answer {"error": "invalid_grant", "error_description": ...}
        return str(data.get("error_description") or error), error
    if not isinstance(error, dict):
        return None
    message = error.get("message")
    reason = ""
    details = error.get("errors")
    if isinstance(details, list) and details and isinstance(details[0], dict):
        reason = str(details[0].get("reason") or "")
        message = message or details[0].get("message")
    if not reason and isinstance(error.get("status"), str):
        reason = error["status"]
    return str(message or "no message"), reason


def error_from_response(status, body, headers=None):
    """The typed exception for an HTTP error answer from the Calendar API."""
    headers = headers or {}
    parsed = _envelope(body)
    if parsed is None:
        message, reason = f"HTTP {status}: {_excerpt(body)}", ""
    else:
        message, reason = parsed
    retry_after = parse_retry_after(
        next((value for name, value in headers.items() if name.lower() == "retry-after"), None)
    )
    kwargs = {"status": status, "reason": reason, "retry_after": retry_after}
    return _error_class(status, reason)(message, **kwargs)


def _error_class(status, reason):
    if status == 400:
        return BadRequest
    if status == 401:
        return AuthError
    if status == 403:
        if reason in _RATE_LIMIT_REASONS:
            return RateLimited
        if reason in _QUOTA_REASONS:
            return QuotaExceeded
        return Forbidden
    if status == 404:
        return NotFound
    if status == 409:
        return Duplicate
    if status == 410:
        return SyncTokenExpired if reason == "fullSyncRequired" else EventGone
    if status == 412:
        return PreconditionFailed
    if status == 429:
        return RateLimited
    if status in _TRANSIENT_STATUSES:
        return TransientError
    if 400 <= status < 500:
        return BadRequest
    return GoogleApiError


def error_from_token_endpoint(error_code, description, *, retryable=False):
    """The typed exception for a failed refresh at the OAuth token endpoint."""
    message = f"token endpoint: {description or error_code or 'refresh failed'}"
    if error_code == "invalid_grant":
        return InvalidGrant(message, status=400, reason=error_code)
    if error_code in ("invalid_client", "unauthorized_client"):
        return InvalidClient(message, status=401, reason=error_code)
    if retryable:
        return TransientError(message, reason=error_code or "", sent=False)
    return AuthError(message, reason=error_code or "")
