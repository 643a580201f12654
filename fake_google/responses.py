"""The plain response value every handler returns."""

import json

JSON_TYPE = "application/json; charset=UTF-8"


class Response:
    __slots__ = ("body", "headers", "status")

    def __init__(self, status, headers=None, body=b""):
        self.status = status
        self.headers = headers or {}
        self.body = body


def json_response(status, payload, headers=None):
    headers = dict(headers or {})
    if payload is None:
        return Response(status, headers, b"")
    headers.setdefault("Content-Type", JSON_TYPE)
    return Response(status, headers, json.dumps(payload).encode())
