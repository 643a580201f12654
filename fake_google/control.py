"""FakeControl: the control API from Python, over HTTP (tests and demos)."""

import json
import time
import urllib.error
import urllib.parse
import urllib.request

DEFAULT_SCOPE = "https://www.googleapis.com/auth/calendar"


class FakeControlError(Exception):
    """The control API refused a request (bad seed data, unknown user...)."""


class FakeControl:
    def __init__(self, url, timeout=60):
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _call(self, method, path, payload=None, **query):
        query = {k: v for k, v in query.items() if v is not None}
        target = f"{self.url}/_fake/{path}"
        if query:
            target += "?" + urllib.parse.urlencode(query)
        data = json.dumps(payload).encode() if payload is not None else None
        # `self.url` is the fake's own http:// root.
        request = urllib.request.Request(  # noqa: S310
            target, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")
            raise FakeControlError(f"{method} /_fake/{path}: {exc.code} {detail}") from exc

    def reset(self, keep_clients=True):
        """Forget users, events, tokens, channels, faults, quota and the log."""
        return self._call("POST", "reset", {"keep_clients": keep_clients})

    def add_client(self, client_id, client_secret, redirect_uris=None):
        """Register an OAuth client; `redirect_uris=None` accepts any loopback URI."""
        return self._call(
            "POST",
            "clients",
            {
                "client_id": client_id,
                "client_secret": client_secret,
                "redirect_uris": redirect_uris,
            },
        )

    def add_user(self, email, time_zone="UTC", default_reminders=None, calendars=None):
        """Create (or update) an account; `calendars` = secondary calendars
        (summaries, or dicts with `summary`, optional `id`, `time_zone` and
        `color`, a ``#rrggbb`` background colour)."""
        return self._call(
            "POST",
            "users",
            {
                "email": email,
                "time_zone": time_zone,
                "default_reminders": default_reminders,
                "calendars": calendars,
            },
        )

    def users(self):
        return self._call("GET", "users")["users"]

    # Calendars as their owner manages them in Google Calendar's settings; each
    # change shows in the calendarList of everyone who sees the calendar.

    def share_calendar(self, email, calendar_id, with_email, role):
        """``email`` shares its calendar with ``with_email`` as ``role``:
        freeBusyReader, reader or writer."""
        payload = {"email": email, "calendar_id": calendar_id}
        return self._call(
            "POST", "calendars/share", dict(payload, with_email=with_email, role=role)
        )

    def unshare_calendar(self, email, calendar_id, with_email):
        """``with_email`` loses its access to ``email``'s calendar."""
        payload = {"email": email, "calendar_id": calendar_id, "with_email": with_email}
        return self._call("POST", "calendars/unshare", payload)

    def delete_calendar(self, email, calendar_id):
        """``email`` deletes one of its secondary calendars."""
        return self._call("POST", "calendars/delete", {"email": email, "calendar_id": calendar_id})

    def update_calendar(self, email, calendar_id, summary=None, color=None):
        """``email`` renames or recolours (``#rrggbb``) one of its calendars."""
        payload = {"email": email, "calendar_id": calendar_id, "summary": summary, "color": color}
        return self._call("POST", "calendars/update", payload)

    def issue_tokens(self, email, client_id, scope=DEFAULT_SCOPE, offline=True):
        """Tokens as if `email` consented in a browser: access_token, refresh_token..."""
        return self._call(
            "POST",
            "tokens",
            {"email": email, "client_id": client_id, "scope": scope, "offline": offline},
        )

    def grants(self, email=None):
        """What each account granted each client: dicts of email, client_id and
        scopes (every scope consented to since the grant began, as Google keeps them)."""
        return self._call("GET", "grants", email=email)["grants"]

    def seed_events(self, email, events, calendar_id="primary"):
        """Insert event bodies (Calendar v3 JSON) in bulk; returns their ids."""
        return self._call(
            "POST", "events", {"email": email, "calendar_id": calendar_id, "events": list(events)}
        )["ids"]

    def events(self, email, calendar_id="primary", include_deleted=True):
        """The stored events (masters, exceptions, tombstones) as full resources."""
        return self._call(
            "GET",
            "events",
            email=email,
            calendar_id=calendar_id,
            include_deleted=str(include_deleted).lower(),
        )["items"]

    def event(self, email, event_id, calendar_id="primary"):
        """One stored event by id, or None."""
        return next((e for e in self.events(email, calendar_id) if e["id"] == event_id), None)

    # As a Google user, in Google Calendar's own pages: the same rules, attendee
    # copies, e-mails (`notified`) and push messages as that user's API calls,
    # but not in the request log, the quota nor the faults.

    def create_event(self, email, event, calendar_id="primary", send_updates="none"):
        """`email` creates an event (Calendar v3 JSON); returns the stored resource."""
        payload = {"email": email, "calendar_id": calendar_id, "event": event}
        return self._call("POST", "events/create", dict(payload, send_updates=send_updates))[
            "event"
        ]

    def edit_event(self, email, event_id, changes, calendar_id="primary", send_updates="none"):
        """`email` changes fields of an event (patch semantics: null clears a
        field); an attendee may change only what Google lets them."""
        payload = {"email": email, "calendar_id": calendar_id, "event_id": event_id}
        payload.update(changes=changes, send_updates=send_updates)
        return self._call("POST", "events/edit", payload)["event"]

    def delete_event(self, email, event_id, calendar_id="primary", send_updates="none"):
        """`email` deletes an event (an attendee removing it declines it)."""
        payload = {"email": email, "calendar_id": calendar_id, "event_id": event_id}
        return self._call("POST", "events/delete", dict(payload, send_updates=send_updates))

    def respond(self, email, event_id, response, comment=None, send_updates="none"):
        """`email` answers an invitation in their primary calendar: accepted,
        declined, tentative or needsAction."""
        payload = {"email": email, "event_id": event_id, "response": response}
        payload.update(comment=comment, send_updates=send_updates)
        return self._call("POST", "events/respond", payload)["event"]

    def log(self, email=None):
        """Request records: method, path, query, operation, status, send_updates,
        notified (who would be e-mailed), batch_part, fault, email, client_id."""
        return self._call("GET", "log", email=email)["records"]

    def counters(self, email=None):
        return self._call("GET", "counters", email=email)

    def inject_fault(
        self,
        status=None,
        reason=None,
        message=None,
        mode=None,
        count=None,
        probability=None,
        method=None,
        path=None,
        email=None,
        latency_ms=0,
        retry_after=None,
        seed=None,
    ):
        """Misbehave on matching requests. `mode`: "error" (default with a status),
        "drop" (close the connection unanswered), "drop_after_apply" (do the work,
        then close), "latency" (default without a status: only delay before the
        work), "slow_answer" (do the work, then wait `latency_ms`). `path` is a
        regular expression searched in the request path. Without `count` and
        `probability` a fault hits the next matching request only."""
        if mode is None:
            mode = "error" if status is not None else "latency"
        return self._call(
            "POST",
            "faults",
            {
                "mode": mode,
                "status": status,
                "reason": reason,
                "message": message,
                "count": count,
                "probability": probability,
                "method": method,
                "path": path,
                "email": email,
                "latency_ms": latency_ms,
                "retry_after": retry_after,
                "seed": seed,
            },
        )

    def faults(self):
        return self._call("GET", "faults")["faults"]

    def clear_faults(self):
        return self._call("DELETE", "faults")

    def expire_sync_tokens(self, email=None):
        return self._call("POST", "sync_tokens/expire", {"email": email})

    def revoke_refresh_tokens(self, email):
        return self._call("POST", "refresh_tokens/revoke", {"email": email})

    def expire_access_tokens(self, email=None):
        return self._call("POST", "access_tokens/expire", {"email": email})

    def set_quota(self, per_minute, status=403):
        """Quota units per user per minute (a patch costs 3, any other call 1)
        before 403 userRateLimitExceeded (or 429); `None` lifts the limit."""
        return self._call("POST", "quota", {"per_minute": per_minute, "status": status})

    def set_detect_id_collisions(self, detect):
        """False: an insert under a taken id stores a twin instead of answering
        409 (Google does not promise to detect every collision); `reset` restores
        True."""
        return self._call("POST", "id_collisions", {"detect": detect})

    def set_conference_pending(self, pending):
        """True: a Meet link asked for is answered ``pending`` and created by the
        next read of the calendar (events.list or get), as Google does it
        asynchronously; `reset` restores False (created at once)."""
        return self._call("POST", "conference_pending", {"pending": pending})

    def channels(self):
        return self._call("GET", "channels")["channels"]

    def notifications(self):
        """Push notifications delivered so far (channel_id, state, status...)."""
        return self._call("GET", "notifications")["notifications"]

    def wait_notifications(self, count, timeout=10):
        """Wait until at least `count` notifications were delivered; return them."""
        deadline = time.monotonic() + timeout
        while True:
            delivered = self.notifications()
            if len(delivered) >= count or time.monotonic() > deadline:
                return delivered
            time.sleep(0.05)
