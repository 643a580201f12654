"""What Google's events carry beyond the neutral values, in the sync run
(event types, rooms and resources, reminders, guest permissions, Meet links).

Plain functions over the run (``run``: the ``SyncRun``) and the ORM (sudo);
every decision is ``engine.event_features``'.
"""

import json

from ..engine import event_features as features
from ..engine.mapping import MAX_REMINDERS, InvalidEvent, video_link
from ..models.calendar_event import FROM_GOOGLE
from ..models.calendar_event_google_features import PERMISSION_FIELDS

MEET_LINKS_PARAM = "google_calendar_sync.meet_links"
# What a pull asks Google to list (events.list ``eventTypes``).
LISTED_TYPES = features.LISTED_TYPES


def _dumps(value):
    return json.dumps(value, sort_keys=True) if value else False


# --- pull ----------------------------------------------------------------------------------


def meetings(items):
    """Google's ``items`` without those that are no meeting for Odoo (birthdays,
    working locations), should Google list them although not asked to."""
    return [item for item in items if not features.is_skipped(item)]


def remember_defaults(run, default_reminders):
    """Keep the calendar's default reminders for the pushes that list nothing."""
    stored = _dumps(default_reminders)
    if run.account.google_default_reminders != stored:
        run.account.google_default_reminders = stored


def default_reminders(run):
    """The calendar's default reminders, what ``useDefault`` on an event means:
    as this run listed them, else as the last pull stored them (a push alone
    re-reads an event after a 412 without listing the calendar)."""
    if run.default_reminders is None:
        run.default_reminders = run.account._google_default_reminders()
    return run.default_reminders


def state(item):
    """Odoo fields of what a Google item carries that Google alone changes."""
    return {
        "google_event_type": features.event_type(item),
        "google_resources": _dumps(features.resources(item)),
    }


def created_permissions(item):
    """Guest permission fields (and their agreement) of an event made from ``item``."""
    google = features.permissions(item)
    return {
        **{PERMISSION_FIELDS[key]: value for key, value in google.items()},
        "google_agreed_permissions": _dumps(google),
    }


def merged_permissions(event, item):
    """``(vals, push)``: the fields a pull writes on ``event`` for its guest
    permissions (Google's agreed, Odoo's merged), and whether Odoo has some
    to send. Agreed is what Google holds now: the next patch sends what differs."""
    google = features.permissions(item)
    to_odoo, to_google = features.merge_permissions(
        event._google_agreed_permissions(), event._google_permissions(), google
    )
    vals = {PERMISSION_FIELDS[key]: value for key, value in to_odoo.items()}
    vals["google_agreed_permissions"] = _dumps(google)
    return vals, bool(to_google)


def with_kept_alarms(agreed, google_values):
    """Google's values with the reminders beyond its limit kept, when it holds
    exactly the first ones Odoo sent."""
    if agreed is None:
        return google_values
    alarms = features.google_alarms_as_agreed(agreed.get("alarms") or [], google_values["alarms"])
    return {**google_values, "alarms": alarms}


# --- push ----------------------------------------------------------------------------------


def never_pushed(event):
    """Google's own busy blocks: Odoo changes nothing of them."""
    return event.google_event_type in features.READ_ONLY_TYPES


def pushed_keys(event, changed):
    """Those of the neutral keys ``changed`` (None: all) Google takes on ``event``."""
    return features.writable_keys(event.google_event_type, changed)


def permissions_to_push(event):
    """The guest permission keys Odoo changed since both sides agreed."""
    agreed = event._google_agreed_permissions()
    odoo = event._google_permissions()
    if agreed is None:
        # Never agreed (made in Odoo): Google's defaults are what it holds.
        agreed = features.permissions({})
    return {key for key in odoo if odoo[key] != agreed.get(key)}


def complete_body(run, event, values, body, *, insert, permission_keys):
    """Add to a write's ``body`` what Google's event carries beyond the neutral
    values; returns it."""
    if event.google_event_type in features.NO_PROPERTIES_TYPES:
        body.pop("extendedProperties", None)
    if "attendees" in body:
        body["attendees"] = body["attendees"] + features.resource_attendees(
            event._google_resources()
        )
    if "reminders" in body:
        body["reminders"] = features.reminders_body(
            values["alarms"], run.account._google_default_reminders()
        )
        _tell_reminders_beyond_limit(run, event, values["alarms"])
    body.update(features.permissions_to_google(event._google_permissions(), permission_keys))
    # A meeting already over needs no link (the first sync sends a year of them).
    if (
        insert
        and event.stop >= run.now
        and features.wants_meet(
            values, enabled=_meet_links_enabled(run), opted_out=event.google_no_meet
        )
    ):
        # The event's Google id is the request's: a resent insert asks for the
        # same conference, not a second one.
        body["conferenceData"] = features.meet_request(event.google_id)
    return body


def _meet_links_enabled(run):
    param = run.env["ir.config_parameter"].sudo()._google_param(MEET_LINKS_PARAM)
    return param != "off"


def _tell_reminders_beyond_limit(run, event, alarms):
    beyond = features.alarms_beyond_limit(alarms)
    if beyond and not event.google_reminders_told:
        event._google_post_note(
            run.env._(
                "Google keeps at most %(count)s reminders: %(kept)s go to Google Calendar, "
                "the other %(left)s remain in Odoo only.",
                count=MAX_REMINDERS,
                kept=MAX_REMINDERS,
                left=len(beyond),
            )
        )
    if bool(beyond) != event.google_reminders_told:
        event.with_context(**{FROM_GOOGLE: True}).google_reminders_told = bool(beyond)


def agreed(run, event, values, answer, created):
    """After Google took a write: ``(values, vals)``, the values to store as
    agreed and the fields to write with them: what Odoo learns from Google's
    answer (a Meet link Google made for an insert), the agreed permissions."""
    vals = {"google_agreed_permissions": _dumps(event._google_permissions())}
    if isinstance(answer, dict):
        vals.update(state(answer))
        # Only the link is read: the whole answer (its description
        # sanitized) took a third of an export of 1,000 events.
        if created and not values["videocall"] and not run.busy_only:
            try:
                link = video_link(answer)
            except InvalidEvent:
                link = ""  # Google's answer to our insert; the next pull reports it
            if link:
                vals["videocall_location"] = link
                values = {**values, "videocall": link}
    return values, vals
