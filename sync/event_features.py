"""What Google's events carry beyond the neutral values, in the sync run
(event types, rooms and resources, reminders, guest permissions, Meet links).

Plain functions over the run (``run``: the ``SyncRun``) and the ORM (sudo);
every decision is ``engine.event_features``'.
"""

import json

from ..engine import event_features as features

# What a pull asks Google to list (events.list ``eventTypes``).
LISTED_TYPES = features.LISTED_TYPES


def _dumps(value):
    return json.dumps(value, sort_keys=True) if value else False


# --- pull ----------------------------------------------------------------------------------


def meetings(items):
    """Google's ``items`` without those that are no meeting for Odoo (birthdays,
    working locations), should Google list them although not asked to."""
    return [item for item in items if not features.is_skipped(item)]


def state(item):
    """Odoo fields of what a Google item carries that Google alone changes."""
    return {
        "google_event_type": features.event_type(item),
        "google_resources": _dumps(features.resources(item)),
    }


# --- push ----------------------------------------------------------------------------------


def never_pushed(event):
    """Google's own busy blocks: Odoo changes nothing of them."""
    return event.google_event_type in features.READ_ONLY_TYPES


def pushed_keys(event, changed):
    """Those of the neutral keys ``changed`` (None: all) Google takes on ``event``."""
    return features.writable_keys(event.google_event_type, changed)


def complete_body(run, event, values, body):
    """Add to a write's ``body`` what Google's event carries beyond the neutral
    values; returns it."""
    if event.google_event_type in features.NO_PROPERTIES_TYPES:
        body.pop("extendedProperties", None)
    if "attendees" in body:
        body["attendees"] = body["attendees"] + features.resource_attendees(
            event._google_resources()
        )
    return body


def agreed(event, values, answer):
    """After Google took a write: ``(values, vals)``, the values to store as
    agreed and the fields to write with them: what Odoo learns from Google's
    answer."""
    vals = {}
    if isinstance(answer, dict):
        vals.update(state(answer))
    return values, vals
