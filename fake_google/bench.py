"""Throughput of the fake: `python -m fake_google.bench [--events N]`.

Seeds N events through the control API, lists them with maxResults=2500 and
runs one incremental sync after 100 changes; prints the timings.
"""

import argparse
import json
import sys
import time
import urllib.request

from .control import FakeControl
from .server import DEFAULT_CLIENT_ID, FakeGoogle


def _get(url, token):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310
    # Only ever the fake's own loopback URL.
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
        return json.loads(response.read())


def measure(count=10000):
    """Timings in seconds: seed, full list (pages), incremental list."""
    with FakeGoogle(port=0) as fake:
        control = FakeControl(fake.url, timeout=600)
        email = "bench@example.com"
        control.add_user(email)
        token = control.issue_tokens(email, DEFAULT_CLIENT_ID)["access_token"]
        events = [
            {
                "summary": f"Event {i}",
                "start": {"dateTime": f"2030-01-01T{i % 24:02d}:00:00Z"},
                "end": {"dateTime": f"2030-01-01T{i % 24:02d}:30:00Z"},
                "attendees": [{"email": "guest@example.org"}],
            }
            for i in range(count)
        ]
        started = time.perf_counter()
        ids = control.seed_events(email, events)
        seeded = time.perf_counter() - started

        root = f"{fake.url}/calendar/v3/calendars/primary/events?maxResults=2500"
        started = time.perf_counter()
        listed, pages, page_token = 0, 0, None
        while True:
            body = _get(root + (f"&pageToken={page_token}" if page_token else ""), token)
            listed += len(body["items"])
            pages += 1
            page_token = body.get("nextPageToken")
            if not page_token:
                break
        full_list = time.perf_counter() - started
        assert listed == count, (listed, count)

        control.seed_events(email, events[:100])
        started = time.perf_counter()
        changes = _get(f"{root}&syncToken={body['nextSyncToken']}", token)
        incremental = time.perf_counter() - started
        assert len(changes["items"]) == 100 and len(ids) == count
    return {
        "events": count,
        "seed_s": seeded,
        "list_s": full_list,
        "pages": pages,
        "incremental_s": incremental,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(prog="fake_google.bench", description=__doc__)
    parser.add_argument("--events", type=int, default=10000)
    figures = measure(parser.parse_args(argv).events)
    sys.stdout.write(
        f"{figures['events']} events: seeded in {figures['seed_s']:.2f} s "
        f"({figures['events'] / figures['seed_s']:.0f}/s); listed in {figures['pages']} pages "
        f"of 2500 in {figures['list_s']:.2f} s; incremental sync of 100 changes in "
        f"{figures['incremental_s']:.3f} s\n"
    )


if __name__ == "__main__":
    main()
