"""The ``multipart/mixed`` wire format of Google's batch endpoint.

A batch request is one part per call, each part a whole HTTP request
(``application/http``) tagged with a ``Content-ID``; the answer is one part
per call, each a whole HTTP response tagged ``response-<id>``. Only the
encoding lives here; which calls to send and what to do with the answers is
the client's business.
"""

import re
import uuid
from dataclasses import dataclass, field

from .errors import MalformedResponse

_CRLF = b"\r\n"
_BOUNDARY_PARAM = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_STATUS_LINE = re.compile(rb"^HTTP/\d(?:\.\d)?\s+(\d{3})(?:\s.*)?$")


@dataclass
class PartRequest:
    """One call inside a batch: an HTTP request with a path-only target."""

    content_id: str
    method: str
    target: str  # absolute path with its query string, e.g. /calendar/v3/...?sendUpdates=none
    headers: dict = field(default_factory=dict)
    body: bytes = b""


@dataclass
class PartResponse:
    """One answer inside a batch response."""

    content_id: str
    status: int
    headers: dict
    body: bytes


def encode_batch(parts, boundary=None):
    """(content type, body bytes) of a batch request holding ``parts``."""
    boundary = boundary or f"batch_{uuid.uuid4().hex}"
    chunks = []
    for part in parts:
        lines = [
            f"--{boundary}",
            "Content-Type: application/http",
            "Content-Transfer-Encoding: binary",
            f"Content-ID: <{part.content_id}>",
            "",
            f"{part.method} {part.target} HTTP/1.1",
        ]
        headers = dict(part.headers)
        if part.body:
            headers.setdefault("Content-Type", "application/json; charset=UTF-8")
            headers["Content-Length"] = str(len(part.body))
        lines.extend(f"{name}: {value}" for name, value in headers.items())
        lines.append("")
        chunks.append(_CRLF.join(line.encode("utf-8") for line in lines) + _CRLF + part.body)
    chunks.append(f"--{boundary}--".encode())
    body = _CRLF.join(chunks) + _CRLF
    return f"multipart/mixed; boundary={boundary}", body


def decode_batch(content_type, body):
    """The ``PartResponse`` list of a batch response, in the order received.

    Raises ``MalformedResponse`` when the answer is not a readable
    ``multipart/mixed`` body of HTTP responses.
    """
    match = _BOUNDARY_PARAM.search(content_type or "")
    if not (content_type or "").lower().startswith("multipart/mixed") or not match:
        raise MalformedResponse(
            f"batch answer is not multipart/mixed with a boundary: {content_type!r}"
        )
    delimiter = b"--" + match.group(1).encode("latin-1")
    sections = body.split(delimiter)
    # sections[0] is the preamble; the part after the closing "--" is the epilogue.
    if len(sections) < 2 or not sections[-1].startswith(b"--"):
        raise MalformedResponse("batch answer has no closing boundary")
    responses = []
    for section in sections[1:-1]:
        responses.append(_decode_part(_strip_line_break(section)))
    return responses


def _strip_line_break(section):
    """Drop the line break after a boundary and the one before the next."""
    if section.startswith(_CRLF):
        section = section[2:]
    elif section.startswith(b"\n"):
        section = section[1:]
    if section.endswith(_CRLF):
        section = section[:-2]
    elif section.endswith(b"\n"):
        section = section[:-1]
    return section


def _split_head(data):
    """(header lines, rest) of an HTTP-style message, tolerating bare LF."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        head, found, rest = data.partition(separator)
        if found:
            return head.replace(b"\r\n", b"\n").split(b"\n"), rest
    # A head with no body after it at all (e.g. a 204 answered tersely).
    return data.strip().replace(b"\r\n", b"\n").split(b"\n"), b""


def _parse_headers(lines, what):
    headers = {}
    for line in lines:
        if not line.strip():
            continue
        name, colon, value = line.decode("latin-1").partition(":")
        if not colon:
            raise MalformedResponse(f"batch answer: bad header line in {what}: {line[:80]!r}")
        headers[name.strip().lower()] = value.strip()
    return headers


def _decode_part(section):
    outer_lines, inner = _split_head(section)
    outer = _parse_headers(outer_lines, "a part")
    content_id = outer.get("content-id", "").strip().strip("<>")
    if content_id.startswith("response-"):
        content_id = content_id[len("response-") :]
    if not content_id:
        raise MalformedResponse("batch answer: a part has no Content-ID")
    inner_lines, inner_body = _split_head(inner)
    status_match = _STATUS_LINE.match(inner_lines[0].strip())
    if not status_match:
        raise MalformedResponse(
            f"batch answer: part {content_id} has no HTTP status line: {inner_lines[0][:80]!r}"
        )
    headers = _parse_headers(inner_lines[1:], f"part {content_id}")
    return PartResponse(content_id, int(status_match.group(1)), headers, inner_body)
