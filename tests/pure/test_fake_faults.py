"""Fault injection on the fake: errors, drops, latency, quota, request log."""

import threading
import time

import pytest
import requests

from fake_google.control import FakeControlError

import fake_fixtures
from fake_fixtures import timed

fake, ctl, alice = fake_fixtures.fake, fake_fixtures.ctl, fake_fixtures.alice
EVENTS = "calendars/primary/events"


@pytest.mark.parametrize(
    ("status", "reason", "domain"),
    [
        (429, "rateLimitExceeded", "usageLimits"),
        (403, "rateLimitExceeded", "usageLimits"),
        (500, "backendError", "global"),
        (503, "backendError", "global"),
    ],
)
def test_error_on_next_requests_then_normal(ctl, alice, status, reason, domain):
    ctl.inject_fault(status=status, count=2, method="GET")
    for _ in range(2):
        failed = alice("GET", EVENTS)
        assert failed.status_code == status
        detail = failed.json()["error"]["errors"][0]
        assert (detail["reason"], detail["domain"]) == (reason, domain)
    assert alice("GET", EVENTS).status_code == 200
    assert [r["status"] for r in ctl.log("alice@example.com")] == [status, status, 200]
    assert [r["fault"] for r in ctl.log("alice@example.com")] == ["error", "error", None]


def test_error_fault_does_not_apply_the_write(ctl, alice):
    ctl.inject_fault(status=503, path=r"/events$", method="POST", retry_after=2)
    failed = alice("POST", EVENTS, json=timed("x"))
    assert failed.status_code == 503 and failed.headers["Retry-After"] == "2"
    assert ctl.events("alice@example.com") == []


def test_drop_before_and_after_apply(ctl, alice):
    ctl.inject_fault(mode="drop", method="POST")
    with pytest.raises(requests.ConnectionError):
        alice("POST", EVENTS, json=timed("lost", id="aaaaa11111"))
    assert ctl.events("alice@example.com") == []
    ctl.inject_fault(mode="drop_after_apply", method="POST")
    with pytest.raises(requests.ConnectionError):
        alice("POST", EVENTS, json=timed("applied", id="bbbbb22222"))
    assert [e["id"] for e in ctl.events("alice@example.com")] == ["bbbbb22222"]
    # The retry of an idempotent insert then meets a 409, and no twin exists.
    assert alice("POST", EVENTS, json=timed("applied", id="bbbbb22222")).status_code == 409
    assert [r["fault"] for r in ctl.log("alice@example.com")] == ["drop", "drop_after_apply", None]


def test_slow_answer_applies_before_it_waits(ctl, alice):
    ctl.inject_fault(mode="slow_answer", method="POST", latency_ms=800)
    answers = []
    thread = threading.Thread(
        target=lambda: answers.append(alice("POST", EVENTS, json=timed("slow", id="ccccc33333")))
    )
    thread.start()
    deadline = time.monotonic() + 5
    while not ctl.events("alice@example.com") and time.monotonic() < deadline:
        time.sleep(0.02)
    # Stored while its answer is still on its way.
    assert [e["id"] for e in ctl.events("alice@example.com")] == ["ccccc33333"]
    assert not answers
    thread.join(5)
    assert answers[0].status_code == 200
    assert [r["fault"] for r in ctl.log("alice@example.com")] == ["slow_answer"]


def test_probability_and_seed(ctl, alice):
    ctl.inject_fault(status=500, probability=0.5, seed=7)
    statuses = [alice("GET", EVENTS).status_code for _ in range(40)]
    assert 5 < statuses.count(500) < 35 and statuses.count(200) == 40 - statuses.count(500)
    ctl.clear_faults()
    assert alice("GET", EVENTS).status_code == 200
    assert ctl.faults() == []


def test_latency(ctl, alice):
    ctl.inject_fault(latency_ms=300, count=1)
    started = time.monotonic()
    assert alice("GET", EVENTS).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_quota_per_user(ctl, alice):
    ctl.set_quota(3)
    statuses = [alice("GET", EVENTS).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 403, 403]
    body = alice("GET", EVENTS).json()["error"]
    assert body["errors"][0]["reason"] == "userRateLimitExceeded"
    assert body["errors"][0]["domain"] == "usageLimits"
    ctl.set_quota(None)
    assert alice("GET", EVENTS).status_code == 200


def test_quota_counts_three_units_per_patch_as_google_does(ctl, alice):
    created = alice("POST", EVENTS, json=timed("x")).json()
    ctl.set_quota(7)
    patch = alice("PATCH", f"{EVENTS}/{created['id']}", json={"summary": "y"})
    update = alice("PUT", f"{EVENTS}/{created['id']}", json=timed("z"))
    second_patch = alice("PATCH", f"{EVENTS}/{created['id']}", json={"summary": "w"})
    # 3 + 1 + 3 = 7 units: the minute is full, even for a call of one unit.
    assert [patch.status_code, update.status_code, second_patch.status_code] == [200, 200, 200]
    assert alice("GET", f"{EVENTS}/{created['id']}").status_code == 403
    ctl.set_quota(2)
    # A patch never fits in two units; a refused call counts nothing.
    assert alice("PATCH", f"{EVENTS}/{created['id']}", json={"summary": "v"}).status_code == 403
    assert alice("GET", EVENTS).status_code == 200
    assert ctl.counters()["quota_units"] == 1 + 3 + 1 + 3 + 1


def test_token_endpoint_fault_and_counters(ctl, fake, alice):
    ctl.inject_fault(status=503, path="^/token$")
    response = requests.post(f"{fake.url}/token", data={"grant_type": "refresh_token"}, timeout=10)
    assert response.status_code == 503 and response.json()["error"] == "backendError"
    alice("GET", EVENTS)
    counters = ctl.counters()
    assert counters["requests"] == 2
    assert counters["by_operation"] == {"oauth.token": 1, "events.list": 1}
    assert counters["by_status"] == {"503": 1, "200": 1}
    assert counters["by_user"] == {"alice@example.com": 1}


def test_named_reason_gets_googles_message(ctl, alice):
    ctl.inject_fault(status=403, reason="quotaExceeded", method="POST")
    refused = alice("POST", EVENTS, json=timed("x")).json()["error"]
    assert refused["errors"][0] == {
        "domain": "usageLimits",
        "reason": "quotaExceeded",
        "message": "Calendar usage limits exceeded.",
    }
    assert refused["code"] == 403 and refused["status"] == "PERMISSION_DENIED"


def test_bad_fault_spec_is_refused(ctl):
    with pytest.raises(FakeControlError):
        ctl.inject_fault(mode="explode")


def test_control_api_refuses_bad_input_clearly(ctl):
    for call in (
        lambda: ctl.inject_fault(status=99),
        lambda: ctl.inject_fault(status=500, path="("),
        lambda: ctl.inject_fault(status=500, probability=2),
        lambda: ctl.set_quota(0),
        lambda: ctl.set_detect_id_collisions("no"),
        lambda: ctl.seed_events("nobody@example.com", []),
        lambda: ctl.add_user("tz@example.com", time_zone="Mars/Base"),
    ):
        with pytest.raises(FakeControlError):
            call()
    ctl.add_user("seed@example.com")
    with pytest.raises(FakeControlError, match="event #1 refused"):
        ctl.seed_events("seed@example.com", [timed("ok"), {"summary": "no times"}])
