"""The fake's batch endpoint: multipart/mixed in and out, parts independent."""

import json

import requests

import fake_fixtures
from fake_fixtures import timed

fake, ctl, alice = fake_fixtures.fake, fake_fixtures.ctl, fake_fixtures.alice
BOUNDARY = "batch_boundary_x"


def _part(content_id, method, path, body=None, headers=None):
    lines = [
        f"--{BOUNDARY}",
        "Content-Type: application/http",
        "Content-Transfer-Encoding: binary",
        f"Content-ID: <{content_id}>",
        "",
        f"{method} {path} HTTP/1.1",
    ]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    payload = json.dumps(body) if body is not None else ""
    if body is not None:
        lines.append("Content-Type: application/json")
    lines += ["", payload]
    return "\r\n".join(lines)


def _batch(fake, token, parts):
    body = "\r\n".join(parts) + f"\r\n--{BOUNDARY}--\r\n"
    return requests.post(
        f"{fake.url}/batch/calendar/v3",
        data=body.encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": f"multipart/mixed; boundary={BOUNDARY}",
        },
        timeout=30,
    )


def _parse(response):
    """[(content id, status, json body or None)] from a batch response."""
    boundary = response.headers["Content-Type"].split("boundary=")[1]
    answers = []
    for chunk in response.content.split(f"--{boundary}".encode())[1:]:
        if chunk.startswith(b"--"):
            break
        outer, inner = chunk.lstrip(b"\r\n").split(b"\r\n\r\n", 1)
        content_id = next(
            line.split(b": ", 1)[1].decode()
            for line in outer.split(b"\r\n")
            if line.lower().startswith(b"content-id")
        )
        head, payload = inner.split(b"\r\n\r\n", 1)
        status = int(head.split(b" ")[1])
        answers.append((content_id, status, json.loads(payload) if payload.strip() else None))
    return answers


def test_batch_parts_succeed_and_fail_independently(ctl, fake, alice):
    existing = ctl.seed_events("alice@example.com", [timed("old")])[0]
    token = alice.tokens["access_token"]
    response = _batch(
        fake,
        token,
        [
            _part(
                "a+1",
                "POST",
                "/calendar/v3/calendars/primary/events?sendUpdates=none",
                timed("new"),
            ),
            _part(
                "a+2",
                "PATCH",
                f"/calendar/v3/calendars/primary/events/{existing}",
                {"summary": "renamed"},
            ),
            _part("a+3", "DELETE", "/calendar/v3/calendars/primary/events/unknown123"),
            _part("a+4", "POST", "/calendar/v3/calendars/primary/events", {"summary": "no times"}),
            _part("a+5", "DELETE", f"/calendar/v3/calendars/primary/events/{existing}"),
        ],
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("multipart/mixed; boundary=")
    answers = _parse(response)
    assert [(cid, status) for cid, status, _body in answers] == [
        ("<response-a+1>", 200),
        ("<response-a+2>", 200),
        ("<response-a+3>", 404),
        ("<response-a+4>", 400),
        ("<response-a+5>", 204),
    ]
    assert answers[1][2]["summary"] == "renamed"
    assert answers[2][2]["error"]["errors"][0]["reason"] == "notFound"
    stored = {e["summary"]: e["status"] for e in ctl.events("alice@example.com")}
    assert stored == {"new": "confirmed", "renamed": "cancelled"}
    log = ctl.log("alice@example.com")
    parts = [r for r in log if r["batch_part"]]
    assert [r["operation"] for r in parts] == [
        "events.insert",
        "events.patch",
        "events.delete",
        "events.insert",
        "events.delete",
    ]
    assert parts[0]["send_updates"] == "none"
    assert [r["operation"] for r in log if not r["batch_part"]] == ["batch"]


def test_batch_part_with_expired_token_gets_401(ctl, fake, alice):
    token = alice.tokens["access_token"]
    ctl.expire_access_tokens()
    response = _batch(fake, token, [_part("x", "GET", "/calendar/v3/calendars/primary/events")])
    assert response.status_code == 200
    [(_cid, status, body)] = _parse(response)
    assert status == 401 and body["error"]["errors"][0]["reason"] == "authError"


def test_batch_refuses_non_multipart_and_too_many_parts(fake, alice):
    token = alice.tokens["access_token"]
    plain = requests.post(
        f"{fake.url}/batch/calendar/v3",
        data=b"{}",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert plain.status_code == 400
    many = _batch(
        fake,
        token,
        [_part(str(i), "GET", "/calendar/v3/users/me/calendarList") for i in range(1001)],
    )
    assert many.status_code == 400
