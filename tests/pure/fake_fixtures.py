"""pytest fixtures for plain tests of the fake: `from fake_fixtures import fake, ctl`."""

import pytest
import requests

from fake_google import FakeControl, FakeGoogle

CLIENT_ID = "fixture-client.apps.googleusercontent.com"
CLIENT_SECRET = "fixture-secret"
REDIRECT_URI = "http://127.0.0.1:8069/oauth/callback"
SCOPE = "https://www.googleapis.com/auth/calendar"


@pytest.fixture
def fake():
    """A started FakeGoogle with one client (CLIENT_ID, REDIRECT_URI), stopped afterwards."""
    server = FakeGoogle(
        port=0, clients={CLIENT_ID: {"secret": CLIENT_SECRET, "redirect_uris": [REDIRECT_URI]}}
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def ctl(fake):
    return FakeControl(fake.url)


class Api:
    """A requests session for one fake account, with URLs relative to /calendar/v3/."""

    def __init__(self, fake, ctl, email, scope=SCOPE):
        ctl.add_user(email)
        self.email = email
        self.root = fake.url
        self.tokens = ctl.issue_tokens(email, CLIENT_ID, scope=scope)
        self.session = requests.Session()
        self.session.headers["Authorization"] = "Bearer " + self.tokens["access_token"]

    def __call__(self, method, path, **kwargs):
        return self.session.request(method, f"{self.root}/calendar/v3/{path}", timeout=30, **kwargs)

    def list_all(self, calendar="primary", **params):
        """Follow every page; returns (items, nextSyncToken, pages)."""
        items, pages, page_token = [], 0, None
        while True:
            query = dict(params, pageToken=page_token) if page_token else dict(params)
            response = self("GET", f"calendars/{calendar}/events", params=query)
            assert response.status_code == 200, response.text
            body = response.json()
            pages += 1
            items.extend(body["items"])
            page_token = body.get("nextPageToken")
            if not page_token:
                return items, body.get("nextSyncToken"), pages


@pytest.fixture
def alice(fake, ctl):
    return Api(fake, ctl, "alice@example.com")


@pytest.fixture
def bob(fake, ctl):
    return Api(fake, ctl, "bob@example.com")


def timed(summary, start="2030-01-07T10:00:00Z", end="2030-01-07T11:00:00Z", **extra):
    """A minimal timed event body."""
    return dict(summary=summary, start={"dateTime": start}, end={"dateTime": end}, **extra)
