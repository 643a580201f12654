"""Google Calendar API v3 over ``requests`` and ``google-auth``.

One ``CalendarClient`` per Google account. It keeps the access token fresh,
paces requests with the user's token bucket, retries what Google says may
succeed later, follows pages, sends writes in batches, and turns every failure
into one of the typed exceptions of ``errors``. The access token only ever
travels in the ``Authorization`` header.
"""

import copy
import json
import logging
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC
from urllib.parse import quote, urlencode, urlsplit

import requests
from google.auth import exceptions as auth_exceptions
from google.auth.transport.requests import Request as AuthRequest

from .batch import PartRequest, decode_batch, encode_batch
from .errors import (
    AuthError,
    Duplicate,
    GoogleApiError,
    MalformedResponse,
    NotFound,
    SyncTokenExpired,
    TransientError,
    error_from_response,
    error_from_token_endpoint,
)
from .ratelimit import RetryPolicy, quota_units

_logger = logging.getLogger(__name__)

DEFAULT_API_ROOT = "https://www.googleapis.com"
DEFAULT_BATCH_SIZE = 50
# Google refuses batches of more than 1000 calls.
MAX_BATCH_SIZE = 1000
SEND_UPDATES_VALUES = ("all", "externalOnly", "none")
# Calls whose success answer has no body.
_EMPTY_ANSWER_KINDS = frozenset({"delete", "stop_channel"})
# Calls whose success answer is one event.
_EVENT_ANSWER_KINDS = frozenset({"get", "insert", "patch", "update"})
_REDACTED = "[redacted]"


def _flag(value):
    return "true" if value else "false"


def _timestamp(value):
    """RFC 3339 text for a query bound given as text or a datetime (naive = UTC)."""
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


def _segment(value):
    """A path segment: calendar ids are e-mail addresses and event ids are free text."""
    return quote(str(value), safe="")


def _token_expired(error, sync_token):
    """The error a listing raises: a 410 to an incremental listing is Google
    asking for the whole list again (``SyncTokenExpired``), anything else is
    raised as it came."""
    if sync_token and error.status == 410 and not isinstance(error, SyncTokenExpired):
        return SyncTokenExpired(
            error.message, status=410, reason=error.reason or "fullSyncRequired"
        )
    return error


def _events_path(calendar_id, event_id=None):
    path = f"calendars/{_segment(calendar_id)}/events"
    return f"{path}/{_segment(event_id)}" if event_id is not None else path


def _write_query(send_updates, body=None):
    if send_updates not in SEND_UPDATES_VALUES:
        raise ValueError(f"send_updates must be one of {SEND_UPDATES_VALUES}, not {send_updates!r}")
    query = {"sendUpdates": send_updates}
    # Without conferenceDataVersion=1 Google silently ignores conferenceData.
    if body is not None and "conferenceData" in body:
        query["conferenceDataVersion"] = "1"
    return query


def _if_match(etag):
    return {"If-Match": etag} if etag else {}


@dataclass
class ApiCall:
    """One Calendar API request, sent alone or as a part of a batch.

    ``path`` is relative to the Calendar v3 root (``calendars/primary/events``);
    ``kind`` names the call in the client's counters.
    """

    kind: str
    method: str
    path: str
    query: dict = field(default_factory=dict)
    body: dict | None = None
    headers: dict = field(default_factory=dict)

    @classmethod
    def get(cls, calendar_id, event_id):
        return cls("get", "GET", _events_path(calendar_id, event_id))

    @classmethod
    def insert(cls, calendar_id, body, *, send_updates):
        query = _write_query(send_updates, body)
        return cls("insert", "POST", _events_path(calendar_id), query, body)

    @classmethod
    def patch(cls, calendar_id, event_id, body, *, etag=None, send_updates):
        query = _write_query(send_updates, body)
        path = _events_path(calendar_id, event_id)
        return cls("patch", "PATCH", path, query, body, _if_match(etag))

    @classmethod
    def update(cls, calendar_id, event_id, body, *, etag=None, send_updates):
        query = _write_query(send_updates, body)
        path = _events_path(calendar_id, event_id)
        return cls("update", "PUT", path, query, body, _if_match(etag))

    @classmethod
    def delete(cls, calendar_id, event_id, *, etag=None, send_updates):
        path = _events_path(calendar_id, event_id)
        return cls("delete", "DELETE", path, _write_query(send_updates), None, _if_match(etag))

    @property
    def units(self):
        """What this call costs in Google's per-minute quota (alone or in a batch)."""
        return quota_units(self.method)

    @property
    def resend_safe(self):
        """Whether sending again after a lost answer (no answer, or a 5xx) cannot
        apply the call twice: every call but a POST (insert, watch).

        An insert with a client-chosen id is sent again only once ``lookup``
        found nothing: Google does not promise to refuse a second insert of
        the same id with 409, so a blind resend could create a twin.
        """
        return self.method != "POST"

    def lookup(self):
        """The ``get`` that tells whether this insert was stored (None when
        Google chose the id, or for another call)."""
        event_id = (self.body or {}).get("id") if self.kind == "insert" else None
        if not event_id:
            return None
        return ApiCall("get", "GET", f"{self.path}/{_segment(event_id)}")

    def encoded_body(self):
        if self.body is None:
            return b""
        return json.dumps(self.body, separators=(",", ":")).encode("utf-8")


@dataclass
class EventList:
    """Everything ``events.list`` returned, all pages joined."""

    items: list
    next_sync_token: str | None
    default_reminders: list
    time_zone: str | None


@dataclass
class EventPage:
    """One page of ``events.list``: ``next_page_token`` names the next one,
    ``next_sync_token`` comes with the last."""

    items: list
    next_page_token: str | None
    next_sync_token: str | None
    default_reminders: list
    time_zone: str | None


class CalendarClient:
    """Calendar v3 for one Google account.

    ``credentials`` is a ``google.oauth2.credentials.Credentials`` built
    directly with the configured ``token_uri`` (``expiry`` naive UTC).
    ``on_token_refresh(token, expiry)`` is called after each refresh so the
    caller can store the new access token. ``rate_limiter`` is the user's
    budget (``acquire(count)``; with a ``capacity``, batches are cut to fit it).
    """

    def __init__(
        self,
        api_root,
        credentials,
        *,
        session=None,
        rate_limiter=None,
        retry_policy=None,
        timeout=(10.0, 60.0),
        batch_size=DEFAULT_BATCH_SIZE,
        on_token_refresh=None,
    ):
        if not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH_SIZE}")
        self.api_root = (api_root or DEFAULT_API_ROOT).rstrip("/")
        self.credentials = credentials
        self.session = session or requests.Session()
        self.rate_limiter = rate_limiter
        self.retry_policy = retry_policy or RetryPolicy()
        self.timeout = timeout
        self.batch_size = batch_size
        self.on_token_refresh = on_token_refresh
        #: HTTP requests sent by kind (list, get, insert, patch, update, delete,
        #: instances, watch, stop_channel, calendar, calendar_list, batch), plus
        #: batch_calls (parts sent), retries (requests sent again),
        #: batch_call_retries (parts sent again) and token_refreshes.
        self.counters = Counter()
        self._api_path = urlsplit(self.api_root).path + "/calendar/v3/"

    # -- events -------------------------------------------------------------

    def list_events(self, calendar_id="primary", **options):
        """All events (every page joined); incremental when ``sync_token`` is
        given. Takes the options of ``list_event_pages`` but ``page_token``.

        Raises ``SyncTokenExpired`` when Google wants a full sync again.
        """
        pages = list(self.list_event_pages(calendar_id, **options))
        first, last = pages[0], pages[-1]
        return EventList(
            items=[item for page in pages for item in page.items],
            next_sync_token=last.next_sync_token,
            default_reminders=first.default_reminders,
            time_zone=first.time_zone,
        )

    def list_event_pages(
        self,
        calendar_id="primary",
        *,
        sync_token=None,
        time_min=None,
        time_max=None,
        page_token=None,
        single_events=False,
        show_deleted=True,
        max_results=2500,
        event_types=None,
    ):
        """The pages of the listing, one ``EventPage`` at a time, each requested
        when the previous one has been consumed; from ``page_token`` on when
        given (a listing resumed with the same other options). ``event_types``:
        only events of these ``eventType`` values (Google's ``eventTypes``; send
        the same with a sync token as without).

        Raises ``SyncTokenExpired`` when Google wants a full sync again.
        """
        query = {
            "maxResults": str(max_results),
            "singleEvents": _flag(single_events),
            "showDeleted": _flag(show_deleted),
        }
        if event_types:
            query["eventTypes"] = list(event_types)
        if sync_token:
            if time_min or time_max:
                raise ValueError("Google refuses time_min/time_max together with a sync token")
            query["syncToken"] = sync_token
        else:
            query.update(
                {
                    key: _timestamp(value)
                    for key, value in (("timeMin", time_min), ("timeMax", time_max))
                    if value is not None
                }
            )
        call = ApiCall("list", "GET", _events_path(calendar_id), query)
        pages = self._iter_pages(call, page_token)
        while True:
            try:
                page = next(pages)
            except StopIteration:
                return
            except GoogleApiError as error:
                raise _token_expired(error, sync_token) from None
            next_sync_token = page.get("nextSyncToken")
            if next_sync_token is not None and not isinstance(next_sync_token, str):
                raise MalformedResponse("events.list: nextSyncToken is not a string")
            yield EventPage(
                items=page["items"],
                next_page_token=page.get("nextPageToken"),
                next_sync_token=next_sync_token,
                default_reminders=list(page.get("defaultReminders") or []),
                time_zone=page.get("timeZone"),
            )

    def get_event(self, calendar_id, event_id):
        """One event, cancelled ones included; ``NotFound`` when unknown."""
        return self._execute(ApiCall.get(calendar_id, event_id))

    def insert_event(self, calendar_id, body, *, send_updates):
        """Create an event; give ``body["id"]`` (``references.new_google_id()``) to make it
        idempotent."""
        return self._execute(ApiCall.insert(calendar_id, body, send_updates=send_updates))

    def patch_event(self, calendar_id, event_id, body, *, etag=None, send_updates):
        """Merge ``body`` into the event; with ``etag``, only if it did not change meanwhile."""
        call = ApiCall.patch(calendar_id, event_id, body, etag=etag, send_updates=send_updates)
        return self._execute(call)

    def update_event(self, calendar_id, event_id, body, *, etag=None, send_updates):
        """Replace the event with ``body``; with ``etag``, only if it did not change."""
        call = ApiCall.update(calendar_id, event_id, body, etag=etag, send_updates=send_updates)
        return self._execute(call)

    def delete_event(self, calendar_id, event_id, *, etag=None, send_updates):
        """Delete (cancel) the event. Returns None."""
        self._execute(ApiCall.delete(calendar_id, event_id, etag=etag, send_updates=send_updates))

    def instances(
        self,
        calendar_id,
        event_id,
        *,
        time_min=None,
        time_max=None,
        show_deleted=True,
        max_results=2500,
    ):
        """The occurrences of a recurring event (every page), as a list."""
        query = {"maxResults": str(max_results), "showDeleted": _flag(show_deleted)}
        if time_min is not None:
            query["timeMin"] = _timestamp(time_min)
        if time_max is not None:
            query["timeMax"] = _timestamp(time_max)
        path = _events_path(calendar_id, event_id) + "/instances"
        pages = self._pages(ApiCall("instances", "GET", path, query))
        return [item for page in pages for item in page["items"]]

    # -- push channels ------------------------------------------------------

    def watch(self, calendar_id, channel_id, address, *, token=None, ttl_seconds=None):
        """Open a push channel on the calendar's events; returns Google's channel."""
        body = {"id": channel_id, "type": "web_hook", "address": address}
        if token:
            body["token"] = token
        if ttl_seconds:
            body["params"] = {"ttl": str(int(ttl_seconds))}
        channel = self._execute(
            ApiCall("watch", "POST", _events_path(calendar_id) + "/watch", body=body)
        )
        if not isinstance(channel.get("resourceId"), str):
            raise MalformedResponse("events.watch: the channel has no resourceId")
        return channel

    def stop_channel(self, channel_id, resource_id):
        """Close a push channel. Returns None."""
        body = {"id": channel_id, "resourceId": resource_id}
        self._execute(ApiCall("stop_channel", "POST", "channels/stop", body=body))

    # -- calendars ----------------------------------------------------------

    def get_calendar(self, calendar_id="primary"):
        """The calendar resource (``id``, ``summary``, ``timeZone``)."""
        return self._execute(ApiCall("calendar", "GET", f"calendars/{_segment(calendar_id)}"))

    def calendar_list(self):
        """The user's calendar list entries (every page)."""
        call = ApiCall("calendar_list", "GET", "users/me/calendarList", {"maxResults": "250"})
        return [item for page in self._pages(call) for item in page["items"]]

    def calendar_list_changes(self, sync_token=None):
        """(entries, next sync token): every entry of the user's calendar list,
        or, with ``sync_token``, those changed since (removed ones carry
        ``deleted: true``). Raises ``SyncTokenExpired`` when Google wants the
        whole list again."""
        query = {"maxResults": "250", "showDeleted": "true"}
        if sync_token:
            query["syncToken"] = sync_token
        call = ApiCall("calendar_list", "GET", "users/me/calendarList", query)
        try:
            pages = self._pages(call)
        except GoogleApiError as error:
            raise _token_expired(error, sync_token) from None
        next_sync_token = pages[-1].get("nextSyncToken")
        if next_sync_token is not None and not isinstance(next_sync_token, str):
            raise MalformedResponse("calendarList.list: nextSyncToken is not a string")
        return [item for page in pages for item in page["items"]], next_sync_token

    def move_event(self, calendar_id, event_id, destination, *, send_updates):
        """Move an event to calendar ``destination`` (same id, same guests: no
        new invitation); returns it as the destination holds it."""
        path = _events_path(calendar_id, event_id) + "/move"
        query = dict(_write_query(send_updates), destination=destination)
        return self._execute(ApiCall("move", "POST", path, query))

    # -- batch --------------------------------------------------------------

    def execute_batch(self, calls):
        """Send ``calls`` (``ApiCall``) in batches of ``batch_size``; one outcome per call.

        An outcome is the answer (event JSON, or None for a delete) or the
        typed exception of that call. Parts that fail in a retryable way are
        sent again; a 401 part after one token refresh; an insert whose answer
        was lost only after a lookup of its id found nothing (found: its
        outcome is ``Duplicate``). When a whole batch request fails (budget
        spent, auth lost, Google down), that error is the outcome of its calls
        and of every call not yet sent.
        """
        outcomes = [None] * len(calls)
        for indexes in self._chunks(calls):
            failure = self._run_batch(calls, indexes, outcomes)
            if failure is not None:
                # Whatever broke the whole request would break the next ones too.
                unsent = self._unsent(failure)
                for index in range(indexes[-1] + 1, len(calls)):
                    outcomes[index] = unsent
                break
        return outcomes

    def _chunks(self, calls):
        """Indexes of ``calls`` in batches of at most ``batch_size`` calls and at
        most the budget's capacity in quota units: a batch is paid for in full
        before it is sent."""
        capacity = getattr(self.rate_limiter, "capacity", None)
        chunk, units = [], 0
        for index, call in enumerate(calls):
            if chunk and (
                len(chunk) == self.batch_size or (capacity and units + call.units > capacity)
            ):
                yield chunk
                chunk, units = [], 0
            chunk.append(index)
            units += call.units
        if chunk:
            yield chunk

    @staticmethod
    def _unsent(failure):
        """``failure`` as the outcome of a call that was never sent: Google
        cannot have applied it, whatever happened to the batches before."""
        if not failure.maybe_applied:
            return failure
        unsent = copy.copy(failure)
        unsent.maybe_applied = False
        return unsent

    def _run_batch(self, calls, indexes, outcomes):
        """Send one chunk, resending its retryable parts; the request-level error if any."""
        started = self.retry_policy.clock()
        pending = indexes
        refreshed = False
        sends = 0
        while pending:
            sends += 1
            lost = None
            try:
                answers = self._send_batch(calls, pending)
            except GoogleApiError as error:
                lost_answer = error.retryable and error.maybe_applied
                if not lost_answer or self._resend_safe(calls, pending):
                    for index in pending:
                        outcomes[index] = error
                    return error
                # The answer to a batch holding inserts was lost (``_send``
                # resends only batches that are safe to resend): every part
                # failed that way, and is resent, or looked up, below.
                answers, lost = {}, error
            to_resend, auth_failed, worst = [], False, None
            for index in pending:
                outcome = (
                    lost
                    if lost is not None
                    else self._part_outcome(calls[index], answers.get(str(index)), index)
                )
                if isinstance(outcome, GoogleApiError):
                    outcome.attempts = sends
                    if isinstance(outcome, AuthError) and not refreshed:
                        auth_failed = True
                        to_resend.append(index)
                    elif outcome.retryable:
                        to_resend.append(index)
                        if worst is None or (outcome.retry_after or 0) > (worst.retry_after or 0):
                            worst = outcome
                outcomes[index] = outcome
            if worst is not None:
                delay = self.retry_policy.delay(sends, worst, started)
                if delay is None:
                    if lost is not None:
                        return lost
                    # Out of attempts or time: these parts keep their errors.
                    to_resend = [i for i in to_resend if isinstance(outcomes[i], AuthError)]
                else:
                    self.retry_policy.sleep(delay)
            if auth_failed:
                refreshed = True
                try:
                    self._refresh()
                except GoogleApiError as error:
                    for index in to_resend:
                        outcomes[index] = error
                    return error
            to_resend, failure = self._not_stored(calls, to_resend, outcomes)
            if failure is not None:
                return failure
            self.counters["batch_call_retries"] += len(to_resend)
            pending = to_resend
        return None

    @staticmethod
    def _resend_safe(calls, indexes):
        return all(calls[index].resend_safe for index in indexes)

    def _not_stored(self, calls, indexes, outcomes):
        """Those of ``indexes`` that may be sent again, and the error of the
        lookup request if it failed as a whole.

        A call that is not safe to resend and whose answer was lost is sent
        again only when a lookup (one batch of ``get``) shows Google does not
        hold it; held, its outcome becomes ``Duplicate``. Without a lookup, or
        when the lookup fails, it keeps its error: its fate is unknown.
        """
        unsure = [
            index
            for index in indexes
            if not calls[index].resend_safe and outcomes[index].maybe_applied
        ]
        if not unsure:
            return indexes, None
        checks = [index for index in unsure if calls[index].lookup() is not None]
        lookups = [calls[index].lookup() for index in checks]
        found = [None] * len(lookups)
        failure = self._run_batch(lookups, list(range(len(lookups))), found) if lookups else None
        absent = set()
        for index, answer in zip(checks, found, strict=True):
            if isinstance(answer, NotFound):
                absent.add(index)
            elif not isinstance(answer, GoogleApiError):
                outcomes[index] = self._stored_already(calls[index], outcomes[index])
        if failure is not None:
            return [], failure
        return [index for index in indexes if index not in unsure or index in absent], None

    @staticmethod
    def _stored_already(call, lost):
        """The outcome of an insert that a lookup found after its answer was lost."""
        duplicate = Duplicate(
            f"{call.kind}: Google already holds this id (an earlier send was stored, "
            "its answer lost)",
            reason="duplicate",
        )
        duplicate.attempts = lost.attempts
        return duplicate

    def _part_outcome(self, call, part, index):
        if part is None:
            return MalformedResponse(f"batch answer has no part for call {index} ({call.kind})")
        if part.status >= 300:
            return self._scrubbed(error_from_response(part.status, part.body, part.headers))
        try:
            return self._decode_answer(call, part.body)
        except MalformedResponse as error:
            return error

    def _send_batch(self, calls, indexes):
        """One batch HTTP request for ``indexes``; its parts keyed by Content-ID."""
        parts = []
        for index in indexes:
            call = calls[index]
            target = self._api_path + call.path
            if call.query:
                target += "?" + urlencode(call.query)
            parts.append(
                PartRequest(str(index), call.method, target, call.headers, call.encoded_body())
            )
        content_type, body = encode_batch(parts)
        response = self._send(
            "batch",
            "POST",
            f"{self.api_root}/batch/calendar/v3",
            data=body,
            headers={"Content-Type": content_type},
            cost=sum(calls[index].units for index in indexes),
            parts=len(parts),
            resend_safe=self._resend_safe(calls, indexes),
        )
        answers = decode_batch(response.headers.get("Content-Type"), response.content)
        return {answer.content_id: answer for answer in answers}

    # -- plumbing -----------------------------------------------------------

    def _pages(self, call):
        """Every page of a list call, in order, each checked to hold an ``items`` list."""
        return list(self._iter_pages(call))

    def _iter_pages(self, call, page_token=None):
        """The pages of a list call from ``page_token`` on (else the first), each
        requested when the previous one is consumed and checked to hold an
        ``items`` list."""
        seen_tokens, number = {page_token} - {None}, 0
        while True:
            query = dict(call.query, pageToken=page_token) if page_token else call.query
            page = self._execute(replace(call, query=query))
            number += 1
            items = page.setdefault("items", [])
            if not isinstance(items, list) or not all(
                isinstance(item, dict) and isinstance(item.get("id"), str) for item in items
            ):
                raise MalformedResponse(
                    f"{call.kind}: page {number} has items that are not events with an id"
                )
            page_token = page.get("nextPageToken")
            if page_token and (not isinstance(page_token, str) or page_token in seen_tokens):
                raise MalformedResponse(f"{call.kind}: bad or repeated nextPageToken")
            yield page
            if not page_token:
                return
            seen_tokens.add(page_token)

    def _execute(self, call):
        """Send one call alone and decode its answer."""
        headers = dict(call.headers)
        if call.body is not None:
            headers["Content-Type"] = "application/json"
        lookup = call.lookup()
        response = self._send(
            call.kind,
            call.method,
            self.api_root + "/calendar/v3/" + call.path,
            params=call.query,
            data=call.encoded_body(),
            headers=headers,
            cost=call.units,
            resend_safe=call.resend_safe,
            before_resend=(lambda lost: self._raise_if_stored(call, lookup, lost))
            if lookup
            else None,
        )
        return self._decode_answer(call, response.content)

    def _raise_if_stored(self, call, lookup, lost):
        """Before ``call`` is sent again after its answer was ``lost``: raise
        ``Duplicate`` when ``lookup`` finds it stored, ``lost`` when the
        lookup fails (the call's fate is unknown); return when it is absent."""
        try:
            self._execute(lookup)
        except NotFound:
            return
        except GoogleApiError:
            raise lost from None
        raise self._stored_already(call, lost)

    def _decode_answer(self, call, content):
        if call.kind in _EMPTY_ANSWER_KINDS:
            return None
        try:
            data = json.loads(content)
        except ValueError:
            raise MalformedResponse(
                f"{call.kind}: the answer is not JSON: {content[:80]!r}"
            ) from None
        if not isinstance(data, dict):
            raise MalformedResponse(f"{call.kind}: the answer is not a JSON object")
        if call.kind in _EVENT_ANSWER_KINDS and not isinstance(data.get("id"), str):
            raise MalformedResponse(f"{call.kind}: the answer is an event without an id")
        return data

    def _send(
        self,
        kind,
        method,
        url,
        *,
        params=None,
        data=b"",
        headers,
        cost=1,
        parts=0,
        resend_safe,
        before_resend=None,
    ):
        """One HTTP request with auth, pacing and retries; the 2xx response or a typed error.

        ``cost`` is in quota units (``parts``: the calls of a batch). After a
        lost answer (none, or a 5xx) a request that is not ``resend_safe`` is
        sent again only through ``before_resend(error)``, which raises unless
        sending again is safe; without it the error goes to the caller.
        """
        started = self.retry_policy.clock()
        sends = 0
        refreshed = False
        while True:
            self._ensure_token()
            if self.rate_limiter is not None:
                self.rate_limiter.acquire(cost)
            sends += 1
            self.counters[kind] += 1
            if kind == "batch":
                self.counters["batch_calls"] += parts
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    data=data or None,
                    headers=dict(headers, Authorization=f"Bearer {self.credentials.token}"),
                    timeout=self.timeout,
                )
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                error = TransientError(f"{kind}: no answer from Google ({type(exc).__name__})")
            else:
                if response.status_code < 300:
                    return response
                error = self._scrubbed(
                    error_from_response(response.status_code, response.content, response.headers)
                )
                if isinstance(error, AuthError) and not refreshed:
                    # The token may have been revoked or expired early: one
                    # refresh, then the same request again.
                    refreshed = True
                    self._refresh()
                    self.counters["retries"] += 1
                    continue
            error.attempts = sends
            unsure = error.maybe_applied and not resend_safe
            if unsure and before_resend is None:
                # The request may have been applied: sending it again could
                # apply it twice, so the caller decides.
                raise error
            delay = self.retry_policy.delay(sends, error, started)
            if delay is None:
                raise error
            _logger.info("Google %s failed (%s); retry %d in %.2fs", kind, error, sends, delay)
            self.counters["retries"] += 1
            self.retry_policy.sleep(delay)
            if unsure:
                before_resend(error)

    def _ensure_token(self):
        if not self.credentials.valid:
            self._refresh()

    def _refresh(self):
        """Get a new access token from the token endpoint and report it."""
        try:
            self.credentials.refresh(AuthRequest(session=self.session))
        except auth_exceptions.RefreshError as exc:
            details = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
            error = error_from_token_endpoint(
                details.get("error"),
                details.get("error_description") or str(exc.args[0] if exc.args else ""),
                retryable=bool(getattr(exc, "retryable", False)),
            )
            raise self._scrubbed(error) from None
        except auth_exceptions.TransportError:
            raise TransientError("token endpoint: no answer", sent=False) from None
        self.counters["token_refreshes"] += 1
        if self.on_token_refresh is not None:
            self.on_token_refresh(self.credentials.token, self.credentials.expiry)

    def _scrubbed(self, error):
        """The error with any token of ours cut out of its message."""
        secrets = [self.credentials.token, getattr(self.credentials, "refresh_token", None)]
        message = error.message
        for secret in secrets:
            if secret and secret in message:
                message = message.replace(secret, _REDACTED)
        if message != error.message:
            error.message = message
            error.args = (message,)
        return error
