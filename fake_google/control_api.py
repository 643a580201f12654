"""The control API under /_fake/: seeding, inspection, faults (never used by Google).

Only the tools of this machine may use it, never a web page: a page open in
the user's browser can send requests to 127.0.0.1 as well. A form POST, or a
``fetch`` in ``no-cors`` mode, needs no consent from the fake as long as its
body is a form or ``text/plain``: every state-changing request must therefore
say ``Content-Type: application/json``, which a page can send cross-site only
after a CORS preflight that the fake never answers. A page served from a DNS
name that its owner re-points at 127.0.0.1 (DNS rebinding) is same-origin with
the fake and could read the answers too, but its requests carry that name in
their ``Host`` header: only the fake's own loopback names are accepted.
"""

import json

from .errors import ApiError
from .events_api import Call
from .faults import Fault
from .responses import json_response
from .store import Calendar
from .timeutil import zone

SCOPE = "https://www.googleapis.com/auth/calendar"
# The names under which the fake (bound to 127.0.0.1) is reached from this machine.
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
RESPONSES = ("accepted", "declined", "tentative", "needsAction")


class ControlError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class ControlApi:
    def __init__(self, fake):
        self.fake = fake
        self.routes = {
            ("POST", "/_fake/reset"): self.reset,
            ("POST", "/_fake/clients"): self.add_client,
            ("POST", "/_fake/users"): self.add_user,
            ("GET", "/_fake/users"): self.users,
            ("POST", "/_fake/tokens"): self.issue_tokens,
            ("GET", "/_fake/grants"): self.grants,
            ("POST", "/_fake/events"): self.seed_events,
            ("GET", "/_fake/events"): self.events,
            ("POST", "/_fake/events/create"): self.create_event,
            ("POST", "/_fake/events/edit"): self.edit_event,
            ("POST", "/_fake/events/delete"): self.delete_event,
            ("POST", "/_fake/events/respond"): self.respond,
            ("GET", "/_fake/log"): self.log,
            ("GET", "/_fake/counters"): self.counters,
            ("POST", "/_fake/faults"): self.inject_fault,
            ("GET", "/_fake/faults"): self.faults,
            ("DELETE", "/_fake/faults"): self.clear_faults,
            ("POST", "/_fake/sync_tokens/expire"): self.expire_sync_tokens,
            ("POST", "/_fake/refresh_tokens/revoke"): self.revoke_refresh_tokens,
            ("POST", "/_fake/access_tokens/expire"): self.expire_access_tokens,
            ("POST", "/_fake/quota"): self.set_quota,
            ("POST", "/_fake/id_collisions"): self.set_detect_id_collisions,
            ("POST", "/_fake/conference_pending"): self.set_conference_pending,
            ("GET", "/_fake/channels"): self.channels,
            ("GET", "/_fake/notifications"): self.notifications,
            ("POST", "/_fake/calendars/share"): self.share_calendar,
            ("POST", "/_fake/calendars/unshare"): self.unshare_calendar,
            ("POST", "/_fake/calendars/delete"): self.delete_calendar,
            ("POST", "/_fake/calendars/update"): self.update_calendar,
        }

    def handle(self, method, path, query, body, headers):
        """Answer one control request; ``headers`` has lower-case names."""
        try:
            self._refuse_cross_site(method, headers)
        except ControlError as error:
            return json_response(error.status, {"error": error.message})
        handler = self.routes.get((method, path.rstrip("/")))
        if handler is None:
            return json_response(404, {"error": f"no control route {method} {path}"})
        params = {k: v[-1] for k, v in query.items()}
        try:
            if body:
                payload = json.loads(body)
                if not isinstance(payload, dict):
                    raise ControlError(400, "the body must be a JSON object")
                params.update(payload)
            result = handler(params)
        except ControlError as error:
            return json_response(error.status, {"error": error.message})
        except (ValueError, TypeError, KeyError) as error:
            return json_response(400, {"error": f"bad control request: {error!r}"})
        if method != "GET":
            self.fake.mark_dirty()
        return json_response(200, result)

    def _refuse_cross_site(self, method, headers):
        """Raise ``ControlError`` for a request that a web page could have sent."""
        own_hosts = {f"{name}:{self.fake.port}" for name in LOOPBACK_NAMES}
        host = (headers.get("host") or "").strip().lower()
        if host not in own_hosts:
            raise ControlError(403, f"the control API answers only to Host {sorted(own_hosts)}")
        origin = headers.get("origin")
        if origin is not None and origin.strip().lower() not in {
            f"http://{own}" for own in own_hosts
        }:
            raise ControlError(403, "the control API refuses cross-site requests")
        media_type = (headers.get("content-type") or "").partition(";")[0].strip().lower()
        if method != "GET" and media_type != "application/json":
            raise ControlError(415, "control requests that change state must be application/json")

    # ---- handlers --------------------------------------------------------------

    def reset(self, params):
        fake = self.fake
        fake.store.reset(keep_clients=params.get("keep_clients", True))
        fake.faults.clear()
        fake.quota.configure(None)
        fake.log.clear()
        fake.notifier.clear()
        return {"reset": True}

    def add_client(self, params):
        self.fake.oauth.add_client(
            params["client_id"], params["client_secret"], params.get("redirect_uris")
        )
        return {"client_id": params["client_id"]}

    def add_user(self, params):
        email = params["email"].strip().lower()
        time_zone = params.get("time_zone") or "UTC"
        if zone(time_zone) is None:
            raise ControlError(400, f"unknown time zone {time_zone!r}")
        store = self.fake.store
        with store.lock:
            user = store.add_user(email, time_zone, params.get("default_reminders"))
            user.time_zone = time_zone
            user.primary.time_zone = time_zone
            if params.get("default_reminders") is not None:
                user.default_reminders = list(params["default_reminders"])
            for spec in params.get("calendars") or ():
                if isinstance(spec, str):
                    spec = {"summary": spec}
                calendar_id = spec.get("id") or (
                    spec["summary"].lower().replace(" ", "-")
                    + "-"
                    + email.replace("@", ".")
                    + "@group.calendar.google.com"
                )
                if calendar_id not in user.calendars:
                    user.calendars[calendar_id] = Calendar(
                        calendar_id,
                        email,
                        spec.get("summary") or calendar_id,
                        spec.get("time_zone") or time_zone,
                        color=spec.get("color"),
                    )
                    store.note_list_change(calendar_id)
            return {"email": email, "calendars": list(user.calendars)}

    def _owned_calendar(self, params):
        """(owner email, calendar) named by ``email`` and ``calendar_id``."""
        calendar = self._calendar(params)
        return calendar.owner, calendar

    def share_calendar(self, params):
        store = self.fake.store
        with store.lock:
            owner, calendar = self._owned_calendar(params)
            try:
                store.share_calendar(
                    owner, calendar.id, params["with_email"].strip().lower(), params["role"]
                )
            except ValueError as error:
                raise ControlError(400, str(error)) from error
        return {"calendar_id": calendar.id}

    def unshare_calendar(self, params):
        store = self.fake.store
        with store.lock:
            _owner, calendar = self._owned_calendar(params)
            email = params["with_email"].strip().lower()
            if email not in store.users:
                raise ControlError(404, f"unknown user {email!r}")
            store.unshare_calendar(calendar.id, email)
        return {"calendar_id": calendar.id}

    def delete_calendar(self, params):
        store = self.fake.store
        with store.lock:
            owner, calendar = self._owned_calendar(params)
            try:
                store.delete_calendar(owner, calendar.id)
            except ValueError as error:
                raise ControlError(400, str(error)) from error
        return {"deleted": calendar.id}

    def update_calendar(self, params):
        store = self.fake.store
        with store.lock:
            _owner, calendar = self._owned_calendar(params)
            if params.get("summary"):
                calendar.summary = params["summary"]
            if params.get("color"):
                calendar.color = params["color"]
            store.note_list_change(calendar.id)
        return {"calendar_id": calendar.id}

    def users(self, params):
        with self.fake.store.lock:
            return {
                "users": [
                    {"email": u.email, "time_zone": u.time_zone, "calendars": list(u.calendars)}
                    for u in self.fake.store.users.values()
                ]
            }

    def issue_tokens(self, params):
        store, oauth = self.fake.store, self.fake.oauth
        client_id = params["client_id"]
        with store.lock:
            if client_id not in store.clients:
                raise ControlError(400, f"unknown client {client_id!r}")
            email = params["email"].strip().lower()
            store.add_user(email)
            scope = params.get("scope") or SCOPE
            oauth.grant(email, client_id, scope)
            answer = oauth.issue(email, client_id, scope, with_refresh=params.get("offline", True))
        return answer

    def grants(self, params):
        email = (params.get("email") or "").strip().lower()
        with self.fake.store.lock:
            return {
                "grants": [
                    {"email": grant_email, "client_id": client_id, "scopes": sorted(scopes)}
                    for (grant_email, client_id), scopes in sorted(self.fake.store.grants.items())
                    if not email or grant_email == email
                ]
            }

    def _calendar(self, params):
        store = self.fake.store
        user = store.users.get((params.get("email") or "").strip().lower())
        if user is None:
            raise ControlError(404, f"unknown user {params.get('email')!r}")
        calendar = user.calendar(params.get("calendar_id") or "primary")
        if calendar is None:
            raise ControlError(404, f"unknown calendar {params.get('calendar_id')!r}")
        return calendar

    def seed_events(self, params):
        store, api = self.fake.store, self.fake.api
        events = params["events"]
        if not isinstance(events, list):
            raise ControlError(400, "events must be a list")
        ids = []
        with store.lock:
            calendar = self._calendar(params)
            for index, body in enumerate(events):
                if not isinstance(body, dict):
                    raise ControlError(400, f"event #{index} is not a JSON object")
                try:
                    record = api.insert(None, calendar, body)
                except ApiError as error:
                    raise ControlError(
                        400,
                        f"event #{index} refused ({error.status} {error.reason}): "
                        f"{error.message}; {len(ids)} inserted before it",
                    ) from error
                ids.append(record.data["id"])
        return {"inserted": len(ids), "ids": ids}

    def events(self, params):
        include_deleted = str(params.get("include_deleted", "true")).lower() == "true"
        store, api = self.fake.store, self.fake.api
        with store.lock:
            calendar = self._calendar(params)
            return {
                "items": [
                    api.render(calendar, record)
                    for record in calendar.events.values()
                    if include_deleted or not record.cancelled
                ]
            }

    # ---- acting as a Google user --------------------------------------------------
    # What someone does in Google Calendar's own pages: the same rules, copies,
    # notifications and push messages as that user's API calls, but never in the
    # request log, the quota or the faults (those describe what clients send).

    def _act(self, params, operation, args, body=None):
        """Run one Calendar operation as ``params["email"]``; (status, body, notified)."""
        email = (params.get("email") or "").strip().lower()
        if email not in self.fake.store.users:
            raise ControlError(404, f"unknown user {params.get('email')!r}")
        send_updates = params.get("send_updates") or "none"
        query = {"sendUpdates": [send_updates]}
        raw = json.dumps(body).encode() if body is not None else b""
        call = Call(operation, args, query, {}, raw, email, SCOPE)
        try:
            with self.fake.store.lock:
                status, _headers, payload = self.fake.api.handle(call)
        except ApiError as error:
            raise ControlError(
                error.status, f"Google refused it ({error.reason}): {error.message}"
            ) from error
        return status, payload, call.notified

    def create_event(self, params):
        event = params["event"]
        if not isinstance(event, dict):
            raise ControlError(400, "event must be a JSON object (a Calendar v3 event)")
        calendar_id = params.get("calendar_id") or "primary"
        _status, payload, notified = self._act(params, "events.insert", [calendar_id], event)
        return {"event": payload, "notified": notified}

    def edit_event(self, params):
        changes = params["changes"]
        if not isinstance(changes, dict):
            raise ControlError(400, "changes must be a JSON object (fields to patch)")
        args = [params.get("calendar_id") or "primary", _event_id(params)]
        _status, payload, notified = self._act(params, "events.patch", args, changes)
        return {"event": payload, "notified": notified}

    def delete_event(self, params):
        args = [params.get("calendar_id") or "primary", _event_id(params)]
        _status, _payload, notified = self._act(params, "events.delete", args)
        return {"deleted": True, "notified": notified}

    def respond(self, params):
        response = params["response"]
        if response not in RESPONSES:
            raise ControlError(400, f"response must be one of {list(RESPONSES)}")
        email = (params.get("email") or "").strip().lower()
        args = ["primary", _event_id(params)]
        _status, current, _notified = self._act(params, "events.get", args)
        attendees = current.get("attendees") or []
        if not any(attendee["email"] == email for attendee in attendees):
            raise ControlError(400, f"{email} is not a guest of event {args[1]!r}")
        answered = []
        for attendee in attendees:
            if attendee["email"] == email:
                attendee = dict(attendee, responseStatus=response)
                if params.get("comment") is not None:
                    attendee["comment"] = params["comment"]
            answered.append(attendee)
        _status, payload, notified = self._act(
            params, "events.patch", args, {"attendees": answered}
        )
        return {"event": payload, "notified": notified}

    def log(self, params):
        return {"records": self.fake.log.records(params.get("email"))}

    def counters(self, params):
        counters = self.fake.log.counters(params.get("email"))
        counters["notifications"] = len(self.fake.notifier.deliveries)
        return counters

    def inject_fault(self, params):
        allowed = (
            "mode",
            "status",
            "reason",
            "message",
            "count",
            "probability",
            "method",
            "path",
            "email",
            "latency_ms",
            "retry_after",
            "seed",
        )
        unknown = set(params) - set(allowed)
        if unknown:
            raise ControlError(400, f"unknown fault fields {sorted(unknown)}")
        fault = Fault(**{k: v for k, v in params.items() if v is not None})
        self.fake.faults.add(fault)
        return fault.spec

    def faults(self, params):
        return {"faults": self.fake.faults.list()}

    def clear_faults(self, params):
        self.fake.faults.clear()
        return {"cleared": True}

    def expire_sync_tokens(self, params):
        email = params.get("email")
        with self.fake.store.lock:
            for user in self.fake.store.users.values():
                if email is None or user.email == email.strip().lower():
                    for calendar in user.calendars.values():
                        calendar.sync_epoch += 1
        return {"expired": True}

    def revoke_refresh_tokens(self, params):
        self.fake.oauth.revoke_refresh_tokens(params["email"].strip().lower())
        return {"revoked": True}

    def expire_access_tokens(self, params):
        email = params.get("email")
        self.fake.oauth.expire_access_tokens(email.strip().lower() if email else None)
        return {"expired": True}

    def set_quota(self, params):
        self.fake.quota.configure(params.get("per_minute"), params.get("status", 403))
        return {"per_minute": params.get("per_minute")}

    def set_detect_id_collisions(self, params):
        detect = params["detect"]
        if not isinstance(detect, bool):
            raise ControlError(400, "detect must be true or false")
        with self.fake.store.lock:
            self.fake.store.detect_id_collisions = detect
        return {"detect": detect}

    def set_conference_pending(self, params):
        pending = params["pending"]
        if not isinstance(pending, bool):
            raise ControlError(400, "pending must be true or false")
        with self.fake.store.lock:
            self.fake.store.conference_pending = pending
        return {"pending": pending}

    def channels(self, params):
        with self.fake.store.lock:
            return {"channels": [dict(c) for c in self.fake.store.channels.values()]}

    def notifications(self, params):
        notifier = self.fake.notifier
        return {"notifications": list(notifier.deliveries), "idle": notifier.idle()}


def _event_id(params):
    event_id = params["event_id"]
    if not isinstance(event_id, str) or not event_id:
        raise ControlError(400, "event_id must be a non-empty string")
    return event_id
