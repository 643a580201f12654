"""The fake's wire format against Google's own Calendar v3 discovery document,
and google-api-python-client driving the fake like it drives Google."""

import datetime as dt
import json
import os

import googleapiclient
import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

import fake_fixtures
from fake_fixtures import CLIENT_ID, CLIENT_SECRET, timed

fake, ctl, alice = fake_fixtures.fake, fake_fixtures.ctl, fake_fixtures.alice
DISCOVERY = os.path.join(
    os.path.dirname(googleapiclient.__file__), "discovery_cache", "documents", "calendar.v3.json"
)
EVENTS = "calendars/primary/events"


@pytest.fixture(scope="module")
def schemas():
    with open(DISCOVERY, encoding="utf-8") as handle:
        return json.load(handle)["schemas"]


def _problems(value, schema, schemas, path="$"):
    """Every way `value` departs from a discovery schema (names and types)."""
    if "$ref" in schema:
        return _problems(value, schemas[schema["$ref"]], schemas, path)
    kind = schema.get("type")
    problems = []
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{path}: expected object, got {type(value).__name__}"]
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if properties is not None and key in properties:
                problems += _problems(item, properties[key], schemas, f"{path}.{key}")
            elif extra is not None:
                problems += _problems(item, extra, schemas, f"{path}.{key}")
            else:
                problems.append(f"{path}.{key}: not in the schema")
    elif kind == "array":
        if not isinstance(value, list):
            return [f"{path}: expected array"]
        for index, item in enumerate(value):
            problems += _problems(item, schema["items"], schemas, f"{path}[{index}]")
    elif kind == "string":
        if not isinstance(value, str):
            return [f"{path}: expected string, got {value!r}"]
        fmt = schema.get("format")
        if fmt == "date-time":
            try:
                dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                problems.append(f"{path}: bad date-time {value!r}")
        elif fmt == "date":
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                problems.append(f"{path}: bad date {value!r}")
        elif fmt in ("int64", "uint64") and not value.lstrip("-").isdigit():
            problems.append(f"{path}: bad int64 string {value!r}")
        if "enum" in schema and value not in schema["enum"]:
            problems.append(f"{path}: {value!r} not in {schema['enum']}")
    elif kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{path}: expected integer, got {value!r}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            problems.append(f"{path}: expected boolean, got {value!r}")
    elif kind == "number":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            problems.append(f"{path}: expected number")
    if isinstance(value, dict) and "kind" in value and "kind" in schema.get("properties", {}):
        expected = schema["properties"]["kind"].get("default")
        if expected and value["kind"] != expected:
            problems.append(f"{path}.kind: {value['kind']!r} != {expected!r}")
    return problems


def _assert_matches(value, name, schemas):
    assert _problems(value, {"$ref": name}, schemas) == []


def test_responses_match_the_discovery_schema(ctl, alice, schemas):
    ctl.add_user("bob@example.com")
    rich = alice(
        "POST",
        EVENTS,
        params={"conferenceDataVersion": 1},
        json={
            "summary": "rich",
            "description": "<b>d</b>",
            "location": "Room",
            "start": {"dateTime": "2030-01-07T10:00:00", "timeZone": "Europe/Brussels"},
            "end": {"dateTime": "2030-01-07T11:00:00", "timeZone": "Europe/Brussels"},
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"],
            "attendees": [
                {"email": "alice@example.com", "responseStatus": "accepted"},
                {"email": "bob@example.com", "displayName": "Bob", "optional": True},
            ],
            "reminders": {"useDefault": False, "overrides": [{"method": "popup", "minutes": 10}]},
            "visibility": "private",
            "transparency": "transparent",
            "colorId": "3",
            "extendedProperties": {"private": {"odoo": "1"}, "shared": {"s": "2"}},
            "conferenceData": {
                "createRequest": {
                    "requestId": "req-1",
                    "conferenceSolutionKey": {"type": "hangoutsMeet"},
                }
            },
        },
    )
    assert rich.status_code == 200, rich.text
    _assert_matches(rich.json(), "Event", schemas)
    allday = alice(
        "POST", EVENTS, json={"start": {"date": "2030-02-01"}, "end": {"date": "2030-02-02"}}
    ).json()
    _assert_matches(allday, "Event", schemas)
    _items, token, _p = alice.list_all()
    alice("DELETE", f"{EVENTS}/{allday['id']}")
    alice("DELETE", f"{EVENTS}/{rich.json()['id']}_20300114T090000Z")
    for params in ({}, {"singleEvents": "true"}, {"syncToken": token}, {"maxResults": 1}):
        listing = alice("GET", EVENTS, params=params).json()
        _assert_matches(listing, "Events", schemas)
    instances = alice("GET", f"{EVENTS}/{rich.json()['id']}/instances").json()
    _assert_matches(instances, "Events", schemas)
    _assert_matches(alice("GET", "users/me/calendarList").json(), "CalendarList", schemas)
    _assert_matches(
        alice("GET", "users/me/calendarList/primary").json(), "CalendarListEntry", schemas
    )
    _assert_matches(alice("GET", "calendars/primary").json(), "Calendar", schemas)
    _assert_matches(alice("GET", "colors").json(), "Colors", schemas)
    channel = alice(
        "POST",
        f"{EVENTS}/watch",
        json={"id": "c1", "type": "web_hook", "address": "https://example.com/hook"},
    ).json()
    _assert_matches(channel, "Channel", schemas)
    error = alice("GET", f"{EVENTS}/nope12345").json()
    assert set(error) == {"error"} and set(error["error"]) >= {"errors", "code", "message"}


def test_the_validator_catches_departures(schemas):
    assert _problems({"summary": 3}, {"$ref": "Event"}, schemas)
    assert _problems({"madeUp": "x"}, {"$ref": "Event"}, schemas)
    assert _problems({"kind": "calendar#events"}, {"$ref": "Event"}, schemas)


def _service(fake, tokens):
    credentials = Credentials(
        tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        token_uri=f"{fake.url}/token",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    return build(
        "calendar",
        "v3",
        credentials=credentials,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": f"{fake.url}/calendar/v3/"},
    )


def test_google_api_python_client_against_the_fake(ctl, fake):
    tokens = ctl.issue_tokens("gapi@example.com", CLIENT_ID)
    service = _service(fake, tokens)
    events = service.events()
    created = events.insert(
        calendarId="primary", body=timed("from gapi"), sendUpdates="none"
    ).execute()
    assert created["summary"] == "from gapi"
    listed = events.list(calendarId="primary", maxResults=10).execute()
    assert [e["id"] for e in listed["items"]] == [created["id"]] and listed["nextSyncToken"]
    patched = events.patch(
        calendarId="primary", eventId=created["id"], body={"location": "Here"}
    ).execute()
    assert patched["location"] == "Here" and patched["summary"] == "from gapi"
    assert events.delete(calendarId="primary", eventId=created["id"]).execute() == ""
    with pytest.raises(HttpError) as raised:
        events.delete(calendarId="primary", eventId=created["id"]).execute()
    assert raised.value.resp.status == 410
    changes = events.list(calendarId="primary", syncToken=listed["nextSyncToken"]).execute()
    assert [(e["id"], e["status"]) for e in changes["items"]] == [(created["id"], "cancelled")]
    stored = ctl.events("gapi@example.com")
    assert [(e["id"], e["location"], e["status"]) for e in stored] == [
        (created["id"], "Here", "cancelled")
    ]
    assert service.calendarList().list().execute()["items"][0]["id"] == "gapi@example.com"


def test_google_api_python_client_refreshes_and_batches(ctl, fake):
    tokens = ctl.issue_tokens("gapi@example.com", CLIENT_ID)
    service = _service(fake, tokens)
    ctl.expire_access_tokens()
    # The client meets a 401, refreshes through the fake's token endpoint, retries.
    assert service.events().list(calendarId="primary").execute()["items"] == []
    answers = {}

    def collect(request_id, response, exception):
        answers[request_id] = exception.resp.status if exception else response["summary"]

    batch = BatchHttpRequest(callback=collect, batch_uri=f"{fake.url}/batch/calendar/v3")
    batch.add(service.events().insert(calendarId="primary", body=timed("b1")), request_id="one")
    batch.add(
        service.events().insert(calendarId="primary", body={"summary": "bad"}), request_id="two"
    )
    batch.add(service.events().insert(calendarId="primary", body=timed("b3")), request_id="three")
    batch.execute()
    assert answers == {"one": "b1", "two": 400, "three": "b3"}
    assert sorted(e["summary"] for e in ctl.events("gapi@example.com")) == ["b1", "b3"]
    operations = [r["operation"] for r in ctl.log("gapi@example.com")]
    assert operations.count("events.insert") == 3
