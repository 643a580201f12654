"""The batch endpoint's wire format: multipart/mixed of embedded HTTP messages."""

import http
import re
import secrets
import urllib.parse

from .errors import bad_request

MAX_PARTS = 1000
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)


class Part:
    __slots__ = ("body", "content_id", "headers", "method", "target")

    def __init__(self, content_id, method, target, headers, body):
        self.content_id = content_id
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body


def _split_head(blob):
    """(header lines, rest) of a message, tolerant of bare LF line ends."""
    match = re.search(rb"\r?\n\r?\n", blob)
    if match is None:
        return blob.decode("utf-8", "replace").splitlines(), b""
    return blob[: match.start()].decode("utf-8", "replace").splitlines(), blob[match.end() :]


def _headers(lines):
    headers = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return headers


def parse(content_type, body):
    """The parts of a batch request; a 400 for anything malformed."""
    if not (content_type or "").lower().startswith("multipart/mixed"):
        raise bad_request("Batch requests must be multipart/mixed.")
    match = _BOUNDARY.search(content_type)
    if not match:
        raise bad_request("Missing multipart boundary.")
    delimiter = b"--" + match.group(1).encode()
    chunks = body.split(delimiter)
    parts = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk.lstrip(b"\r\n")
        if chunk.endswith(b"\r\n"):
            chunk = chunk[:-2]
        elif chunk.endswith(b"\n"):
            chunk = chunk[:-1]
        outer_lines, inner = _split_head(chunk)
        outer = _headers(outer_lines)
        request_lines, inner_body = _split_head(inner)
        if not request_lines:
            raise bad_request("Batch part without an HTTP request.")
        request_line = request_lines[0].split()
        if len(request_line) < 2:
            raise bad_request(f"Invalid request line in batch part: {request_lines[0]!r}")
        inner_headers = _headers(request_lines[1:])
        length = inner_headers.get("content-length")
        if length and length.isdigit():
            inner_body = inner_body[: int(length)]
        target = request_line[1]
        if "://" in target:
            split = urllib.parse.urlsplit(target)
            target = split.path + ("?" + split.query if split.query else "")
        parts.append(
            Part(
                outer.get("content-id"), request_line[0].upper(), target, inner_headers, inner_body
            )
        )
    if not parts:
        raise bad_request("Empty batch request.")
    if len(parts) > MAX_PARTS:
        raise bad_request(f"A batch request cannot hold more than {MAX_PARTS} calls.")
    return parts


def response_id(content_id):
    """Google answers `Content-ID: <x>` with `Content-ID: <response-x>`."""
    inner = (
        content_id[1:-1] if content_id.startswith("<") and content_id.endswith(">") else content_id
    )
    return f"<response-{inner}>"


def render(results):
    """(content type, body) for [(part, status, headers, body bytes)]."""
    boundary = "batch_" + secrets.token_hex(12)
    chunks = []
    for part, status, headers, payload in results:
        lines = [f"--{boundary}", "Content-Type: application/http"]
        if part.content_id:
            lines.append(f"Content-ID: {response_id(part.content_id)}")
        lines.append("")
        try:
            phrase = http.HTTPStatus(status).phrase
        except ValueError:
            phrase = "Unknown"
        lines.append(f"HTTP/1.1 {status} {phrase}")
        for name, value in headers.items():
            lines.append(f"{name}: {value}")
        lines.append(f"Content-Length: {len(payload)}")
        lines.append("")
        chunks.append("\r\n".join(lines).encode() + b"\r\n" + payload + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return f"multipart/mixed; boundary={boundary}", b"".join(chunks)
