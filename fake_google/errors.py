"""Google's error bodies, raised as exceptions by the handlers."""


class ApiError(Exception):
    """A Calendar API error, rendered with Google's JSON envelope."""

    def __init__(
        self,
        status,
        reason,
        message,
        domain="global",
        location=None,
        location_type=None,
        headers=None,
    ):
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.domain = domain
        self.location = location
        self.location_type = location_type
        self.headers = headers or {}

    def body(self):
        detail = {"domain": self.domain, "reason": self.reason, "message": self.message}
        if self.location:
            detail["locationType"] = self.location_type or "parameter"
            detail["location"] = self.location
        error = {"errors": [detail], "code": self.status, "message": self.message}
        status_name = _STATUS_NAMES.get(self.status)
        if status_name:
            error["status"] = status_name
        return {"error": error}


# Newer Google front ends add a gRPC-style status to these codes.
_STATUS_NAMES = {401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 429: "RESOURCE_EXHAUSTED"}


class OAuthError(Exception):
    """An OAuth endpoint error: `{"error": ..., "error_description": ...}`."""

    def __init__(self, status, error, description):
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def body(self):
        return {"error": self.error, "error_description": self.description}


class DropConnection(Exception):
    """Close the client's connection without answering (an injected fault)."""


def bad_request(message, reason="invalid", location=None):
    return ApiError(400, reason, message, location=location)


def not_found():
    return ApiError(404, "notFound", "Not Found")


def unauthenticated(missing):
    """401 as Google sends it for a missing or an invalid/expired access token."""
    if missing:
        return ApiError(
            401,
            "required",
            "Login Required.",
            location="Authorization",
            location_type="header",
            headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
        )
    return ApiError(
        401,
        "authError",
        "Invalid Credentials",
        location="Authorization",
        location_type="header",
        headers={
            "WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'
        },
    )
