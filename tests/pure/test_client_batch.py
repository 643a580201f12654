"""The batch multipart format, against hand-written wire text (no server needed)."""

import json

import pytest

from engine.batch import PartRequest, decode_batch, encode_batch
from engine.errors import MalformedResponse


def test_encode_writes_one_http_request_per_part():
    parts = [
        PartRequest(
            "0",
            "POST",
            "/calendar/v3/calendars/primary/events?sendUpdates=none",
            {},
            b'{"summary":"A"}',
        ),
        PartRequest(
            "1",
            "DELETE",
            "/calendar/v3/calendars/primary/events/abc?sendUpdates=all",
            {"If-Match": '"123"'},
        ),
    ]
    content_type, body = encode_batch(parts, boundary="BOUND")
    assert content_type == "multipart/mixed; boundary=BOUND"
    assert body == (
        b"--BOUND\r\n"
        b"Content-Type: application/http\r\n"
        b"Content-Transfer-Encoding: binary\r\n"
        b"Content-ID: <0>\r\n"
        b"\r\n"
        b"POST /calendar/v3/calendars/primary/events?sendUpdates=none HTTP/1.1\r\n"
        b"Content-Type: application/json; charset=UTF-8\r\n"
        b"Content-Length: 15\r\n"
        b"\r\n"
        b'{"summary":"A"}\r\n'
        b"--BOUND\r\n"
        b"Content-Type: application/http\r\n"
        b"Content-Transfer-Encoding: binary\r\n"
        b"Content-ID: <1>\r\n"
        b"\r\n"
        b"DELETE /calendar/v3/calendars/primary/events/abc?sendUpdates=all HTTP/1.1\r\n"
        b'If-Match: "123"\r\n'
        b"\r\n"
        b"\r\n"
        b"--BOUND--\r\n"
    )


def test_encode_chooses_a_fresh_boundary():
    first, _ = encode_batch([])
    second, _ = encode_batch([])
    assert first != second


GOOGLE_STYLE_ANSWER = (
    b"--batch_xyz\r\n"
    b"Content-Type: application/http\r\n"
    b"Content-ID: <response-7>\r\n"
    b"\r\n"
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: application/json; charset=UTF-8\r\n"
    b'ETag: "3181"\r\n'
    b"\r\n"
    b'{\n "kind": "calendar#event",\n "id": "evt7"\n}\n'
    b"\r\n"
    b"--batch_xyz\r\n"
    b"Content-Type: application/http\r\n"
    b"Content-ID: <response-8>\r\n"
    b"\r\n"
    b"HTTP/1.1 204 No Content\r\n"
    b"\r\n"
    b"\r\n"
    b"--batch_xyz\r\n"
    b"Content-Type: application/http\r\n"
    b"Content-ID: <response-9>\r\n"
    b"\r\n"
    b"HTTP/1.1 429 Too Many Requests\r\n"
    b"Retry-After: 2\r\n"
    b"Content-Type: application/json\r\n"
    b"\r\n"
    b'{"error": {"code": 429, "message": "Rate Limit Exceeded",'
    b' "errors": [{"reason": "rateLimitExceeded"}]}}\r\n'
    b"--batch_xyz--\r\n"
)


def test_decode_reads_status_headers_and_body_of_each_part():
    parts = decode_batch('multipart/mixed; boundary="batch_xyz"', GOOGLE_STYLE_ANSWER)
    assert [part.content_id for part in parts] == ["7", "8", "9"]
    assert [part.status for part in parts] == [200, 204, 429]
    assert json.loads(parts[0].body) == {"kind": "calendar#event", "id": "evt7"}
    assert parts[0].headers["etag"] == '"3181"'
    assert parts[1].body == b""
    assert parts[2].headers["retry-after"] == "2"


def test_decode_accepts_bare_line_feeds():
    answer = GOOGLE_STYLE_ANSWER.replace(b"\r\n", b"\n")
    parts = decode_batch("multipart/mixed; boundary=batch_xyz", answer)
    assert [part.status for part in parts] == [200, 204, 429]
    assert json.loads(parts[0].body)["id"] == "evt7"


def test_round_trip_of_our_own_encoding_read_as_an_answer():
    # Encoding a request and decoding needs the same framing: check boundaries
    # and bodies survive when a body contains CRLFs and dashes.
    body = b'{"description": "line one\\r\\n-- not a boundary"}'
    _content_type, encoded = encode_batch([PartRequest("3", "POST", "/x", {}, body)], boundary="b1")
    answer = encoded.replace(b"POST /x HTTP/1.1", b"HTTP/1.1 200 OK")
    [part] = decode_batch("multipart/mixed; boundary=b1", answer)
    assert part.content_id == "3"
    assert part.status == 200
    assert part.body == body


@pytest.mark.parametrize(
    ("content_type", "body", "complaint"),
    [
        ("application/json", b"{}", "not multipart/mixed"),
        ("multipart/mixed", b"--x--", "not multipart/mixed"),
        ("multipart/mixed; boundary=x", b"--x\r\nContent-ID: <1>\r\n\r\nHTTP/1.1 200", "closing"),
        (
            "multipart/mixed; boundary=x",
            b"--x\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 200 OK\r\n\r\n{}\r\n--x--",
            "no Content-ID",
        ),
        (
            "multipart/mixed; boundary=x",
            b"--x\r\nContent-ID: <response-1>\r\n\r\n<html>oops</html>\r\n\r\n\r\n--x--",
            "no HTTP status line",
        ),
    ],
)
def test_decode_rejects_broken_answers_clearly(content_type, body, complaint):
    with pytest.raises(MalformedResponse, match=complaint):
        decode_batch(content_type, body)
