"""Google's error answers become the right typed exception (no server needed)."""

import json

import pytest

from engine import errors
from engine.errors import error_from_response, error_from_token_endpoint


def envelope(code, reason, message="Something happened."):
    return json.dumps(
        {
            "error": {
                "errors": [{"domain": "calendar", "reason": reason, "message": message}],
                "code": code,
                "message": message,
            }
        }
    ).encode()


@pytest.mark.parametrize(
    ("status", "reason", "expected", "retryable"),
    [
        (400, "badRequest", errors.BadRequest, False),
        (400, "timeRangeEmpty", errors.BadRequest, False),
        (401, "authError", errors.AuthError, False),
        (403, "rateLimitExceeded", errors.RateLimited, True),
        (403, "userRateLimitExceeded", errors.RateLimited, True),
        (403, "quotaExceeded", errors.QuotaExceeded, False),
        (403, "forbiddenForNonOrganizer", errors.Forbidden, False),
        (403, "insufficientPermissions", errors.Forbidden, False),
        (404, "notFound", errors.NotFound, False),
        (409, "duplicate", errors.Duplicate, False),
        (410, "fullSyncRequired", errors.SyncTokenExpired, False),
        (410, "deleted", errors.EventGone, False),
        (412, "conditionNotMet", errors.PreconditionFailed, False),
        (429, "rateLimitExceeded", errors.RateLimited, True),
        (500, "backendError", errors.TransientError, True),
        (503, "backendError", errors.TransientError, True),
    ],
)
def test_envelope_maps_to_typed_error(status, reason, expected, retryable):
    error = error_from_response(status, envelope(status, reason, "Detail from Google."))
    assert type(error) is expected
    assert isinstance(error, errors.GoogleApiError)
    assert error.status == status
    assert error.reason == reason
    assert error.message == "Detail from Google."
    assert error.retryable is retryable
    assert f"[{status} {reason}] Detail from Google." == str(error)


def test_unauthenticated_401_without_errors_list_keeps_status_as_reason():
    body = json.dumps(
        {"error": {"code": 401, "message": "Invalid Credentials", "status": "UNAUTHENTICATED"}}
    )
    error = error_from_response(401, body.encode())
    assert isinstance(error, errors.AuthError)
    assert error.reason == "UNAUTHENTICATED"
    assert error.message == "Invalid Credentials"


def test_non_json_error_body_gives_a_readable_message():
    error = error_from_response(502, b"<html><body>Bad   Gateway</body></html>")
    assert isinstance(error, errors.TransientError)
    assert error.message == "HTTP 502: <html><body>Bad Gateway</body></html>"
    assert error.reason == ""


def test_empty_and_huge_bodies_are_summarised():
    assert error_from_response(503, b"").message == "HTTP 503: (empty body)"
    huge = error_from_response(500, b"x" * 5000)
    assert len(huge.message) < 300
    assert huge.message.endswith("...")


def test_unknown_4xx_is_a_non_retryable_bad_request():
    error = error_from_response(422, envelope(422, "weird"))
    assert isinstance(error, errors.BadRequest)
    assert not error.retryable


def test_retry_after_header_in_seconds_is_kept_case_insensitively():
    error = error_from_response(429, envelope(429, "rateLimitExceeded"), {"retry-after": "7"})
    assert error.retry_after == 7.0
    error = error_from_response(503, b"", {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert error.retry_after is None


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("invalid_grant", errors.InvalidGrant),
        ("invalid_client", errors.InvalidClient),
        ("unauthorized_client", errors.InvalidClient),
        ("access_denied", errors.AuthError),
    ],
)
def test_token_endpoint_errors(code, expected):
    error = error_from_token_endpoint(code, "Token has been expired or revoked.")
    assert type(error) is expected
    assert isinstance(error, errors.AuthError)
    assert error.reason == code
    assert "Token has been expired or revoked." in str(error)


def test_token_endpoint_failure_flagged_retryable_is_transient():
    error = error_from_token_endpoint(None, "HTTP 503", retryable=True)
    assert isinstance(error, errors.TransientError)
