"""CalendarClient end to end over HTTP against the local Google fake.

Every test checks both sides: what the client returned or raised, and what
the fake stored or logged. Backoff sleeps are recorded instead of slept.
"""

import datetime as dt
import http.server
import json
import threading
import time

import pytest
from google.oauth2.credentials import Credentials

from engine import errors
from engine.client import ApiCall, CalendarClient
from engine.ratelimit import MinuteWindow, RetryPolicy, TokenBucket
from engine.references import new_google_id as new_event_id

import fake_fixtures
from fake_fixtures import CLIENT_ID, CLIENT_SECRET

ALICE = "alice@example.com"
BOB = "bob@example.com"
EVENTS_PATH = r"/calendar/v3/calendars/[^/]+/events"

# The fake's fixtures: a started FakeGoogle, and its control API.
fake, ctl = fake_fixtures.fake, fake_fixtures.ctl


class RecordedSleep:
    """The retry policy's sleep: remembers the delays instead of waiting."""

    def __init__(self):
        self.delays = []

    def __call__(self, seconds):
        self.delays.append(seconds)


@pytest.fixture
def sleeps():
    return RecordedSleep()


@pytest.fixture
def tokens(ctl):
    ctl.add_user(
        ALICE,
        time_zone="Europe/Brussels",
        default_reminders=[{"method": "popup", "minutes": 15}],
    )
    return ctl.issue_tokens(ALICE, CLIENT_ID)


def make_client(server, tokens, sleeps, *, expiry=None, secret=CLIENT_SECRET, **options):
    credentials = Credentials(
        token=tokens["access_token"],
        refresh_token=tokens.get("refresh_token"),
        token_uri=server.url + "/token",
        client_id=CLIENT_ID,
        client_secret=secret,
        expiry=expiry or dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(hours=1),
    )
    options.setdefault(
        "retry_policy", RetryPolicy(max_attempts=4, base_delay=0.01, sleep=sleeps, jitter=lambda: 1)
    )
    return CalendarClient(server.url, credentials, **options)


@pytest.fixture
def client(fake, tokens, sleeps):
    return make_client(fake, tokens, sleeps)


def timed_event(summary, day=1, event_id=None):
    body = {
        "summary": summary,
        "start": {"dateTime": f"2030-01-{day:02d}T09:00:00Z", "timeZone": "UTC"},
        "end": {"dateTime": f"2030-01-{day:02d}T10:00:00Z", "timeZone": "UTC"},
    }
    if event_id:
        body["id"] = event_id
    return body


def api_records(ctl, operation=None):
    records = [r for r in ctl.log() if not r["operation"].startswith("oauth")]
    return [r for r in records if operation is None or r["operation"] == operation]


# -- listing, paging, sync tokens ---------------------------------------------


def test_list_follows_every_page_and_incremental_sync_sees_only_changes(client, ctl):
    ctl.seed_events(ALICE, [timed_event(f"seeded {n}", day=n + 1) for n in range(7)])

    full = client.list_events(max_results=3)

    assert sorted(item["summary"] for item in full.items) == [f"seeded {n}" for n in range(7)]
    assert full.next_sync_token
    assert full.time_zone == "Europe/Brussels"
    assert full.default_reminders == [{"method": "popup", "minutes": 15}]
    pages = api_records(ctl, "events.list")
    assert len(pages) == 3
    assert [r["query"].get("maxResults") for r in pages] == ["3", "3", "3"]
    assert "pageToken" not in pages[0]["query"] and pages[1]["query"]["pageToken"]
    assert client.counters["list"] == 3

    added = client.insert_event("primary", timed_event("added later", 20), send_updates="none")
    client.delete_event("primary", full.items[0]["id"], send_updates="none")

    delta = client.list_events(sync_token=full.next_sync_token)

    by_id = {item["id"]: item for item in delta.items}
    assert set(by_id) == {added["id"], full.items[0]["id"]}
    assert by_id[full.items[0]["id"]]["status"] == "cancelled"
    assert delta.next_sync_token and delta.next_sync_token != full.next_sync_token
    assert api_records(ctl, "events.list")[-1]["query"]["syncToken"] == full.next_sync_token


def test_expired_sync_token_raises_sync_token_expired(client, ctl):
    token = client.list_events().next_sync_token
    ctl.expire_sync_tokens(ALICE)

    with pytest.raises(errors.SyncTokenExpired) as caught:
        client.list_events(sync_token=token)

    assert caught.value.status == 410
    assert caught.value.reason == "fullSyncRequired"
    # Not retried: a 410 cannot succeed by waiting.
    assert [r["status"] for r in api_records(ctl, "events.list")] == [200, 410]


def test_sync_token_cannot_be_combined_with_a_time_range(client):
    with pytest.raises(ValueError):
        client.list_events(sync_token="abc", time_min="2030-01-01T00:00:00Z")


def test_time_range_and_single_events_reach_google(client, ctl):
    ctl.seed_events(ALICE, [timed_event("early", 1), timed_event("late", 25)])

    listed = client.list_events(
        time_min=dt.datetime(2030, 1, 10, tzinfo=dt.UTC),
        time_max="2030-02-01T00:00:00Z",
        single_events=True,
    )

    assert [item["summary"] for item in listed.items] == ["late"]
    query = api_records(ctl, "events.list")[-1]["query"]
    assert query["timeMin"] == "2030-01-10T00:00:00+00:00"
    assert query["singleEvents"] == "true"
    assert query["showDeleted"] == "true"


# -- single writes and their typed errors ----------------------------------------


def test_insert_get_patch_delete_round_trip(client, ctl):
    event_id = new_event_id()
    body = timed_event("Planning", event_id=event_id)
    body["conferenceData"] = {
        "createRequest": {"requestId": "r1", "conferenceSolutionKey": {"type": "hangoutsMeet"}}
    }

    created = client.insert_event("primary", body, send_updates="all")

    assert created["id"] == event_id
    assert ctl.event(ALICE, event_id)["summary"] == "Planning"
    insert = api_records(ctl, "events.insert")[-1]
    assert insert["query"] == {"sendUpdates": "all", "conferenceDataVersion": "1"}

    fetched = client.get_event("primary", event_id)
    assert fetched["etag"] == created["etag"]

    patched = client.patch_event(
        "primary", event_id, {"summary": "Planning v2"}, etag=created["etag"], send_updates="none"
    )
    assert patched["summary"] == "Planning v2"
    assert patched["etag"] != created["etag"]
    assert ctl.event(ALICE, event_id)["summary"] == "Planning v2"
    assert "conferenceDataVersion" not in api_records(ctl, "events.patch")[-1]["query"]

    replaced = client.update_event(
        "primary", event_id, timed_event("Planning v3", day=2), send_updates="none"
    )
    assert replaced["start"]["dateTime"].startswith("2030-01-02")

    assert (
        client.delete_event("primary", event_id, etag=replaced["etag"], send_updates="none") is None
    )
    assert ctl.event(ALICE, event_id)["status"] == "cancelled"
    assert client.counters["insert"] == client.counters["patch"] == client.counters["delete"] == 1


def test_stale_etag_gives_precondition_failed_and_changes_nothing(client, ctl):
    created = client.insert_event("primary", timed_event("v1"), send_updates="none")
    client.patch_event("primary", created["id"], {"summary": "v2"}, send_updates="none")

    with pytest.raises(errors.PreconditionFailed) as caught:
        client.patch_event(
            "primary", created["id"], {"summary": "v3"}, etag=created["etag"], send_updates="none"
        )

    assert caught.value.status == 412 and caught.value.reason == "conditionNotMet"
    assert ctl.event(ALICE, created["id"])["summary"] == "v2"
    assert api_records(ctl, "events.patch")[-1]["status"] == 412


def test_not_found_duplicate_and_gone(client, ctl):
    with pytest.raises(errors.NotFound):
        client.get_event("primary", "nosuchevent0")

    event_id = new_event_id()
    client.insert_event("primary", timed_event("once", event_id=event_id), send_updates="none")
    with pytest.raises(errors.Duplicate) as duplicate:
        client.insert_event("primary", timed_event("twice", event_id=event_id), send_updates="none")
    assert duplicate.value.status == 409

    client.delete_event("primary", event_id, send_updates="none")
    with pytest.raises(errors.EventGone) as gone:
        client.delete_event("primary", event_id, send_updates="none")
    assert gone.value.reason == "deleted"
    assert [e["summary"] for e in ctl.events(ALICE)] == ["once"]
    assert [r["status"] for r in api_records(ctl)] == [404, 200, 409, 204, 410]


def test_attendee_cannot_edit_the_organizers_event(fake, ctl, tokens, sleeps):
    ctl.add_user(BOB)
    body = timed_event("Bob's meeting")
    body["attendees"] = [{"email": ALICE}]
    bob = make_client(fake, ctl.issue_tokens(BOB, CLIENT_ID), sleeps)
    meeting = bob.insert_event("primary", body, send_updates="none")
    alice = make_client(fake, tokens, sleeps)
    copy = next(e for e in alice.list_events().items if e["summary"] == "Bob's meeting")

    with pytest.raises(errors.Forbidden) as caught:
        alice.patch_event("primary", copy["id"], {"summary": "Mine now"}, send_updates="none")

    assert caught.value.reason == "forbiddenForNonOrganizer"
    assert not caught.value.retryable
    assert ctl.event(BOB, meeting["id"])["summary"] == "Bob's meeting"
    assert [r["status"] for r in api_records(ctl, "events.patch")] == [403]
    assert sleeps.delays == []


def test_bad_request_is_not_retried(client, ctl):
    body = timed_event("mixed")
    body["end"] = {"date": "2030-01-02"}

    with pytest.raises(errors.BadRequest) as caught:
        client.insert_event("primary", body, send_updates="none")

    assert caught.value.status == 400
    assert "both be date or both be dateTime" in caught.value.message
    assert len(api_records(ctl, "events.insert")) == 1
    assert ctl.events(ALICE) == []


def test_send_updates_must_be_chosen_from_googles_values(client, ctl):
    with pytest.raises(ValueError):
        client.insert_event("primary", timed_event("x"), send_updates="yes")
    assert api_records(ctl) == []


def test_calendar_resources_instances_and_push_channel(client, ctl):
    assert client.get_calendar()["id"] == ALICE
    assert [entry["id"] for entry in client.calendar_list()] == [ALICE]

    series = timed_event("weekly")
    series["start"]["timeZone"] = series["end"]["timeZone"] = "Europe/Brussels"
    series["recurrence"] = ["RRULE:FREQ=WEEKLY;COUNT=3"]
    created = client.insert_event("primary", series, send_updates="none")
    occurrences = client.instances("primary", created["id"])
    assert len(occurrences) == 3
    assert {o["recurringEventId"] for o in occurrences} == {created["id"]}

    channel = client.watch(
        "primary", "channel-1", "http://127.0.0.1:9/push", token="t0k", ttl_seconds=3600
    )
    assert channel["id"] == "channel-1" and channel["resourceId"]
    assert [c["id"] for c in ctl.channels()] == ["channel-1"]
    assert client.stop_channel("channel-1", channel["resourceId"]) is None
    assert ctl.channels() == []


# -- tokens --------------------------------------------------------------------


def test_expired_token_is_refreshed_first_and_reported(fake, ctl, tokens, sleeps):
    refreshed = []
    past = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=1)
    client = make_client(
        fake, tokens, sleeps, expiry=past, on_token_refresh=lambda *a: refreshed.append(a)
    )

    client.list_events()

    assert len(refreshed) == 1
    new_token, new_expiry = refreshed[0]
    assert new_token != tokens["access_token"]
    assert new_expiry > dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert [r["operation"] for r in ctl.log()] == ["oauth.token", "events.list"]
    assert ctl.log()[-1]["status"] == 200
    assert client.counters["token_refreshes"] == 1


def test_refused_token_is_refreshed_once_and_the_request_sent_again(client, ctl):
    refreshed = []
    client.on_token_refresh = lambda *a: refreshed.append(a)
    ctl.expire_access_tokens(ALICE)

    client.insert_event("primary", timed_event("after refresh"), send_updates="none")

    assert [(r["operation"], r["status"]) for r in ctl.log()] == [
        ("events.insert", 401),
        ("oauth.token", 200),
        ("events.insert", 200),
    ]
    assert len(refreshed) == 1
    assert [e["summary"] for e in ctl.events(ALICE)] == ["after refresh"]


def test_revoked_refresh_token_raises_invalid_grant_without_any_token(client, ctl, tokens):
    ctl.revoke_refresh_tokens(ALICE)
    ctl.expire_access_tokens(ALICE)

    with pytest.raises(errors.InvalidGrant) as caught:
        client.list_events()

    text = f"{caught.value} {caught.value!r} {caught.value.args}"
    assert caught.value.reason == "invalid_grant"
    for secret in (tokens["access_token"], tokens["refresh_token"]):
        assert secret not in text
    assert [(r["operation"], r["status"]) for r in ctl.log()][-1] == ("oauth.token", 400)


def test_unknown_client_secret_raises_invalid_client(fake, tokens, sleeps):
    past = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=1)
    client = make_client(fake, tokens, sleeps, expiry=past, secret="wrong")

    with pytest.raises(errors.InvalidClient):
        client.get_calendar()


def test_token_never_travels_in_urls_or_error_text(client, ctl, tokens):
    token = tokens["access_token"]
    ctl.inject_fault(status=400, message=f"echoing Bearer {token} back", path=EVENTS_PATH)
    with pytest.raises(errors.BadRequest) as caught:
        client.list_events()
    assert token not in f"{caught.value} {caught.value.args} {caught.value.message}"
    assert "[redacted]" in str(caught.value)

    client.insert_event("primary", timed_event("x"), send_updates="none")
    client.execute_batch([ApiCall.get("primary", "nosuchevent0")])
    for record in ctl.log():
        assert token not in record["path"]
        assert token not in json.dumps(record["query"])


# -- retries ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "expected_delays"),
    [
        ({"status": 503}, [0.02, 0.04]),
        ({"status": 500}, [0.02, 0.04]),
        ({"status": 429, "retry_after": 3}, [3.0, 3.0]),
        ({"status": 403, "reason": "userRateLimitExceeded"}, [0.02, 0.04]),
        ({"mode": "drop"}, [0.02, 0.04]),
    ],
)
def test_retryable_failures_are_sent_again(client, ctl, sleeps, fault, expected_delays):
    ctl.seed_events(ALICE, [timed_event("seeded")])
    ctl.inject_fault(count=2, path=EVENTS_PATH, **fault)

    listed = client.list_events()

    assert [item["summary"] for item in listed.items] == ["seeded"]
    records = api_records(ctl, "events.list")
    assert len(records) == 3
    assert [r["fault"] for r in records] == [fault.get("mode", "error")] * 2 + [None]
    assert sleeps.delays == pytest.approx(expected_delays)
    assert client.counters["retries"] == 2


def test_retries_are_bounded_in_attempts(client, ctl):
    ctl.inject_fault(status=503, count=10, path=EVENTS_PATH)

    with pytest.raises(errors.TransientError) as caught:
        client.list_events()

    assert caught.value.attempts == 4
    assert len(api_records(ctl, "events.list")) == 4


def test_quota_exceeded_is_not_retried(client, ctl, sleeps):
    ctl.inject_fault(status=403, reason="quotaExceeded", path=EVENTS_PATH)

    with pytest.raises(errors.QuotaExceeded):
        client.insert_event("primary", timed_event("x"), send_updates="none")

    assert len(api_records(ctl, "events.insert")) == 1
    assert sleeps.delays == []


def test_insert_lost_after_apply_is_looked_up_and_reported_duplicate(client, ctl):
    event_id = new_event_id()
    ctl.inject_fault(mode="drop_after_apply", method="POST", path=EVENTS_PATH)

    with pytest.raises(errors.Duplicate) as caught:
        client.insert_event("primary", timed_event("once", event_id=event_id), send_updates="none")

    # Found by its id: not sent again (Google does not promise a 409 to a twin).
    assert caught.value.attempts == 1
    assert len(api_records(ctl, "events.insert")) == 1
    assert len(api_records(ctl, "events.get")) == 1
    assert [e["id"] for e in ctl.events(ALICE)] == [event_id]


def test_insert_without_own_id_is_not_resent_after_a_dropped_connection(client, ctl):
    ctl.inject_fault(mode="drop_after_apply", method="POST", path=EVENTS_PATH)

    with pytest.raises(errors.TransientError):
        client.insert_event("primary", timed_event("maybe"), send_updates="none")

    # Resending could have created a twin; the caller is told it is unknown.
    assert len(api_records(ctl, "events.insert")) == 1
    assert len(ctl.events(ALICE)) == 1


def test_schema_broken_answer_is_a_clear_error(client, ctl):
    ctl.inject_fault(status=200, path=EVENTS_PATH)

    with pytest.raises(errors.MalformedResponse, match="without an id"):
        client.get_event("primary", "whatever00")


# -- batch -------------------------------------------------------------------


def test_batch_of_120_inserts_takes_3_requests_with_results_in_order(client, ctl):
    ids = [new_event_id() for _ in range(120)]
    calls = [
        ApiCall.insert("primary", timed_event(f"b{n}", event_id=ids[n]), send_updates="none")
        for n in range(120)
    ]
    # One part fails once with a 503 and is sent again in a request of its own.
    ctl.inject_fault(status=503, method="POST", path=EVENTS_PATH + "$", count=1)

    outcomes = client.execute_batch(calls)

    assert [outcome["id"] for outcome in outcomes] == ids
    assert [outcome["summary"] for outcome in outcomes] == [f"b{n}" for n in range(120)]
    batches = api_records(ctl, "batch")
    # A 5xx may come after the insert was applied: the part is looked up
    # (a batch of one get) before it is sent again.
    assert [r["batch_size"] for r in batches] == [50, 1, 1, 50, 20]
    assert [r["status"] for r in api_records(ctl, "events.get")] == [404]
    assert sorted(e["id"] for e in ctl.events(ALICE)) == sorted(ids)
    assert client.counters["batch"] == 5
    assert client.counters["batch_calls"] == 122
    assert client.counters["batch_call_retries"] == 1


def test_batch_outcomes_carry_each_parts_error(client, ctl):
    first = client.insert_event("primary", timed_event("first"), send_updates="none")
    client.patch_event("primary", first["id"], {"summary": "changed"}, send_updates="none")
    doomed = client.insert_event("primary", timed_event("doomed"), send_updates="none")

    outcomes = client.execute_batch(
        [
            ApiCall.patch(
                "primary", first["id"], {"summary": "x"}, etag=first["etag"], send_updates="none"
            ),
            ApiCall.delete("primary", doomed["id"], send_updates="all"),
            ApiCall.get("primary", "nosuchevent0"),
            ApiCall.insert("primary", timed_event("new"), send_updates="none"),
        ]
    )

    assert isinstance(outcomes[0], errors.PreconditionFailed)
    assert outcomes[1] is None
    assert isinstance(outcomes[2], errors.NotFound)
    assert outcomes[3]["summary"] == "new"
    assert ctl.event(ALICE, first["id"])["summary"] == "changed"
    assert ctl.event(ALICE, doomed["id"])["status"] == "cancelled"
    parts = [r for r in api_records(ctl) if r["batch_part"]]
    assert [r["send_updates"] for r in parts] == ["none", "all", None, "none"]


def test_batch_part_refused_for_its_token_is_sent_again_after_a_refresh(client, ctl):
    ctl.expire_access_tokens(ALICE)

    outcomes = client.execute_batch(
        [ApiCall.insert("primary", timed_event("late"), send_updates="none")]
    )

    assert outcomes[0]["summary"] == "late"
    assert [e["summary"] for e in ctl.events(ALICE)] == ["late"]
    assert client.counters["token_refreshes"] == 1


def test_batch_gives_up_retrying_a_part_and_reports_it(client, ctl):
    ctl.inject_fault(status=503, method="PATCH", count=10, path=EVENTS_PATH)
    created = client.insert_event("primary", timed_event("x"), send_updates="none")

    outcomes = client.execute_batch(
        [
            ApiCall.patch("primary", created["id"], {"summary": "y"}, send_updates="none"),
            ApiCall.get("primary", created["id"]),
        ]
    )

    assert isinstance(outcomes[0], errors.TransientError)
    assert outcomes[0].attempts == 4
    assert outcomes[1]["summary"] == "x"
    assert len(api_records(ctl, "events.patch")) == 4


def test_spent_rate_budget_stops_the_batch_and_loses_no_outcome(fake, ctl, tokens, sleeps):
    now = [0.0]
    bucket = TokenBucket(60, max_wait=0, clock=lambda: now[0])
    client = make_client(fake, tokens, sleeps, rate_limiter=bucket, batch_size=50)
    calls = [
        ApiCall.insert(
            "primary", timed_event(f"r{n}", event_id=new_event_id()), send_updates="none"
        )
        for n in range(80)
    ]

    outcomes = client.execute_batch(calls)

    assert all(isinstance(o, dict) for o in outcomes[:50])
    assert all(isinstance(o, errors.RateBudgetExhausted) for o in outcomes[50:])
    assert outcomes[50].retry_after == pytest.approx(20.0)
    assert len(ctl.events(ALICE)) == 50
    assert len(api_records(ctl, "batch")) == 1

    # A minute later the rest fits.
    now[0] += 60
    rest = client.execute_batch(calls[50:])
    assert all(isinstance(o, dict) for o in rest)
    assert len(ctl.events(ALICE)) == 80


def test_rate_budget_paces_single_calls(fake, ctl, tokens, sleeps):
    now = [0.0]
    waited = []

    def sleep(seconds):
        waited.append(seconds)
        now[0] += seconds

    bucket = TokenBucket(2, max_wait=60, clock=lambda: now[0], sleep=sleep)
    client = make_client(fake, tokens, sleeps, rate_limiter=bucket)

    for _ in range(3):
        client.get_calendar()

    assert waited == [pytest.approx(30.0)]
    assert len(api_records(ctl)) == 3


def test_whole_batch_request_failing_transiently_is_sent_again(client, ctl, sleeps):
    ids = ctl.seed_events(ALICE, [timed_event(f"v{n}") for n in range(3)])
    ctl.inject_fault(status=503, path=r"^/batch/")

    outcomes = client.execute_batch(
        [
            ApiCall.patch("primary", event_id, {"summary": f"w{n}"}, send_updates="none")
            for n, event_id in enumerate(ids)
        ]
    )

    assert [o["summary"] for o in outcomes] == ["w0", "w1", "w2"]
    assert [r["status"] for r in api_records(ctl, "batch")] == [503, 200]
    assert len(ctl.events(ALICE)) == 3
    assert client.counters["retries"] == 1
    assert sleeps.delays == [pytest.approx(0.02)]


def test_whole_batch_refused_gives_every_unsent_call_that_error(fake, ctl, tokens, sleeps):
    client = make_client(fake, tokens, sleeps, batch_size=2)
    ctl.inject_fault(status=403, reason="quotaExceeded", path=r"^/batch/")
    calls = [ApiCall.insert("primary", timed_event(f"q{n}"), send_updates="none") for n in range(5)]

    outcomes = client.execute_batch(calls)

    assert len(outcomes) == 5
    assert all(isinstance(o, errors.QuotaExceeded) for o in outcomes)
    # The first refusal stops the run: later chunks are not sent at all.
    assert len(api_records(ctl, "batch")) == 1
    assert ctl.events(ALICE) == []


def test_batch_with_a_non_idempotent_call_is_not_resent_after_a_drop(client, ctl):
    ctl.inject_fault(mode="drop_after_apply", path=r"^/batch/")
    calls = [
        ApiCall.insert(
            "primary", timed_event("own id", event_id=new_event_id()), send_updates="none"
        ),
        ApiCall.insert("primary", timed_event("no id"), send_updates="none"),
    ]

    outcomes = client.execute_batch(calls)

    # The insert with its own id is looked up and found; the other one's fate
    # stays unknown to the caller. Neither is sent twice.
    assert isinstance(outcomes[0], errors.Duplicate)
    assert isinstance(outcomes[1], errors.TransientError)
    assert outcomes[1].maybe_applied
    assert len(api_records(ctl, "events.insert")) == 2
    assert len(api_records(ctl, "events.get")) == 1
    assert len(ctl.events(ALICE)) == 2


def test_any_gone_answer_to_a_sync_token_means_full_sync(client, ctl):
    token = client.list_events().next_sync_token
    ctl.inject_fault(status=410, reason="gone", path=EVENTS_PATH)

    with pytest.raises(errors.SyncTokenExpired):
        client.list_events(sync_token=token)


def test_timed_out_read_is_sent_again(fake, ctl, tokens, sleeps):
    client = make_client(fake, tokens, sleeps, timeout=(5.0, 1.0))
    ctl.inject_fault(mode="latency", latency_ms=2500, path=EVENTS_PATH)

    listed = client.list_events()

    assert listed.items == []
    assert client.counters["retries"] == 1
    # The fake logs the slow request once it has answered it, into the void.
    deadline = time.monotonic() + 5
    while len(api_records(ctl, "events.list")) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(api_records(ctl, "events.list")) == 2


def test_own_budget_keeps_google_from_refusing(fake, ctl, tokens, sleeps):
    ctl.set_quota(5)
    bucket = TokenBucket(5, max_wait=0)
    client = make_client(fake, tokens, sleeps, rate_limiter=bucket)

    for _ in range(5):
        client.get_calendar()
    with pytest.raises(errors.RateBudgetExhausted) as caught:
        client.get_calendar()

    assert 0 < caught.value.retry_after <= 12
    assert [r["status"] for r in api_records(ctl)] == [200] * 5


def test_googles_per_user_limit_is_retried_then_reported(client, ctl, sleeps):
    ctl.set_quota(2)
    client.get_calendar()
    client.get_calendar()

    with pytest.raises(errors.RateLimited) as caught:
        client.get_calendar()

    assert caught.value.reason == "userRateLimitExceeded"
    assert caught.value.attempts == 4
    assert [r["status"] for r in api_records(ctl)] == [200, 200, 403, 403, 403, 403]
    assert len(sleeps.delays) == 3


def test_batches_are_cut_to_fit_a_budget_smaller_than_the_batch_size(fake, ctl, tokens, sleeps):
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds

    window = MinuteWindow(20, max_wait=None, clock=lambda: now[0], sleep=sleep)
    client = make_client(fake, tokens, sleeps, rate_limiter=window, batch_size=50)
    calls = [
        ApiCall.insert("primary", timed_event(f"c{n}"), send_updates="none") for n in range(45)
    ]

    outcomes = client.execute_batch(calls)

    assert [o["summary"] for o in outcomes] == [f"c{n}" for n in range(45)]
    assert [r["batch_size"] for r in api_records(ctl, "batch")] == [20, 20, 5]
    # The second and third requests waited for the first ones to leave the minute.
    assert now[0] == pytest.approx(122.0)


class _CaptivePortal(http.server.BaseHTTPRequestHandler):
    """What a proxy or captive portal answers in Google's place: an HTML page."""

    def _page(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        page = b"<html><body>Please log in to the Wi-Fi</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    do_GET = do_POST = _page

    def log_message(self, *args):
        """Quiet."""


@pytest.fixture
def captive_portal():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CaptivePortal)
    # Polled often: shutdown() waits for the loop to look up (0.5 s by default).
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_answers_that_are_not_googles_json_are_clear_errors(captive_portal, sleeps):
    credentials = Credentials(token="ya29.portal-test", expiry=None)
    client = CalendarClient(
        captive_portal, credentials, retry_policy=RetryPolicy(sleep=sleeps, jitter=lambda: 1)
    )

    with pytest.raises(errors.MalformedResponse, match="not JSON: b'<html>"):
        client.get_event("primary", "abcde")
    outcomes = client.execute_batch([ApiCall.get("primary", "abcde")] * 2)
    assert [type(o) for o in outcomes] == [errors.MalformedResponse] * 2
    assert "not multipart/mixed" in str(outcomes[0])
    assert sleeps.delays == []


# -- quota units --------------------------------------------------------------


class RecordingBudget:
    """A budget that grants everything and remembers each reservation."""

    def __init__(self, capacity):
        self.capacity = capacity
        self.reserved = []

    def acquire(self, count=1):
        self.reserved.append(count)
        return 0


def test_budget_counts_what_google_counts_and_batches_fit_it_in_units(fake, ctl, tokens, sleeps):
    budget = RecordingBudget(30)
    client = make_client(fake, tokens, sleeps, rate_limiter=budget)
    ids = ctl.seed_events(ALICE, [timed_event(f"e{n}") for n in range(12)])

    client.patch_event("primary", ids[0], {"summary": "alone"}, send_updates="none")
    client.get_event("primary", ids[0])
    assert budget.reserved == [3, 1]

    budget.reserved.clear()
    calls = [
        ApiCall.patch("primary", event_id, {"summary": f"p{n}"}, send_updates="none")
        for n, event_id in enumerate(ids[:11])
    ]
    calls += [
        ApiCall.get("primary", ids[0]),
        ApiCall.delete("primary", ids[11], send_updates="none"),
    ]
    outcomes = client.execute_batch(calls)

    assert [o["summary"] for o in outcomes[:11]] == [f"p{n}" for n in range(11)]
    # Ten patches fill a budget of 30 units: the eleventh goes in the next batch.
    assert [r["batch_size"] for r in api_records(ctl, "batch")] == [10, 3]
    assert budget.reserved == [30, 5]
    # The fake counted the same units.
    assert ctl.counters(ALICE)["quota_units"] == 3 + 1 + 30 + 5


def test_burst_of_edits_costs_fewer_requests_as_patches_fewer_units_as_updates(client, ctl):
    """The measure behind the choice of patch (docs/architecture.md, "Google client")."""
    burst = 100
    ids = ctl.seed_events(ALICE, [timed_event(f"e{n}") for n in range(burst)])

    def cost(send):
        before = api_records(ctl)
        send()
        records = api_records(ctl)[len(before) :]
        return {
            "http_requests": sum(1 for r in records if not r["batch_part"]),
            "calls": sum(1 for r in records if r["batch_part"]),
            "units": sum(r.get("units", 0) for r in records),
        }

    patches = cost(
        lambda: client.execute_batch(
            [
                ApiCall.patch("primary", event_id, {"summary": "patched"}, send_updates="none")
                for event_id in ids
            ]
        )
    )

    def get_then_update():
        held = client.execute_batch([ApiCall.get("primary", event_id) for event_id in ids])
        client.execute_batch(
            [
                ApiCall.update(
                    "primary",
                    event["id"],
                    dict(event, summary="updated"),
                    etag=event["etag"],
                    send_updates="none",
                )
                for event in held
            ]
        )

    updates = cost(get_then_update)

    assert patches == {"http_requests": 2, "calls": burst, "units": 3 * burst}
    assert updates == {"http_requests": 4, "calls": 2 * burst, "units": 2 * burst}
    assert {e["summary"] for e in ctl.events(ALICE)} == {"updated"}


# -- inserts whose answer was lost ---------------------------------------------


def test_insert_lost_after_apply_makes_no_twin_when_google_misses_the_collision(client, ctl):
    ctl.set_detect_id_collisions(False)
    event_id = new_event_id()
    ctl.inject_fault(mode="drop_after_apply", method="POST", path=EVENTS_PATH)

    with pytest.raises(errors.Duplicate):
        client.insert_event("primary", timed_event("once", event_id=event_id), send_updates="none")

    assert [e["id"] for e in ctl.events(ALICE)] == [event_id]


def test_batch_of_inserts_lost_after_apply_makes_no_twin(client, ctl):
    ctl.set_detect_id_collisions(False)
    ids = [new_event_id() for _ in range(3)]
    ctl.inject_fault(mode="drop_after_apply", path=r"^/batch/")

    outcomes = client.execute_batch(
        [
            ApiCall.insert("primary", timed_event(f"i{n}", event_id=ids[n]), send_updates="none")
            for n in range(3)
        ]
    )

    assert all(isinstance(o, errors.Duplicate) for o in outcomes)
    assert sorted(e["id"] for e in ctl.events(ALICE)) == sorted(ids)
    assert len(api_records(ctl, "events.insert")) == 3
    assert len(api_records(ctl, "events.get")) == 3


def test_insert_answered_5xx_is_sent_again_once_looked_up_absent(client, ctl, sleeps):
    ctl.set_detect_id_collisions(False)
    event_id = new_event_id()
    # Google answered 503 without storing it (the fake's error mode applies nothing).
    ctl.inject_fault(status=503, method="POST", path=EVENTS_PATH)

    created = client.insert_event(
        "primary", timed_event("late", event_id=event_id), send_updates="none"
    )

    assert created["id"] == event_id
    assert [r["status"] for r in api_records(ctl, "events.insert")] == [503, 200]
    assert [r["status"] for r in api_records(ctl, "events.get")] == [404]
    assert [e["id"] for e in ctl.events(ALICE)] == [event_id]


def test_insert_whose_lookup_fails_is_not_sent_again(client, ctl):
    ctl.set_detect_id_collisions(False)
    event_id = new_event_id()
    ctl.inject_fault(mode="drop_after_apply", method="POST", path=EVENTS_PATH)
    ctl.inject_fault(mode="drop", method="GET", path=EVENTS_PATH, count=10)

    with pytest.raises(errors.TransientError) as caught:
        client.insert_event(
            "primary", timed_event("unsure", event_id=event_id), send_updates="none"
        )

    # The insert's own error: its fate is unknown, which the caller must remember.
    assert caught.value.maybe_applied
    assert len(api_records(ctl, "events.insert")) == 1
    assert [e["id"] for e in ctl.events(ALICE)] == [event_id]


def test_google_down_leaves_sent_inserts_unsure_and_stops_before_the_next_batch(
    fake, ctl, tokens, sleeps
):
    client = make_client(fake, tokens, sleeps, batch_size=2)
    ctl.inject_fault(status=503, path=r"^/batch/", count=20)
    calls = [
        ApiCall.insert(
            "primary", timed_event(f"d{n}", event_id=new_event_id()), send_updates="none"
        )
        for n in range(4)
    ]

    outcomes = client.execute_batch(calls)

    assert all(isinstance(o, errors.TransientError) for o in outcomes)
    # The first two were sent (Google may hold them: the sync looks them up
    # later); the last two never left.
    assert [o.maybe_applied for o in outcomes] == [True, True, False, False]
    # One insert batch, then its lookup, retried until the policy gave up.
    assert len(api_records(ctl, "batch")) == 1 + 4
