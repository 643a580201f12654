"""Google's neutral values written into Odoo: events created or brought to
the values a pull decided, with their people, reminders and organizer.

Part of the sync run (``sync/``), not of the model: it resolves Google's
addresses to partners and users (only by the addresses Google confirmed),
creates contacts within the run's budget, and writes the events quietly (no
dirty flag, no Odoo mail). Each function takes ``events``: the calendar.event
model or records (sudo) it works on.
"""

import logging
from datetime import datetime, time

import pytz

from odoo import Command, fields

from ..engine.mapping import diff_fields
from ..engine.people import DEFAULT_MAX_NEW_CONTACTS, ContactBudget
from ..models.calendar_event import (
    _ALARM_METHOD_BY_TYPE,
    _LEFT_OUT_SHOWN,
    _ODOO_FIELDS_BY_KEY,
    _UNTITLED,
    CONTACT_BUDGET,
    FROM_GOOGLE,
    MAX_NEW_CONTACTS_PARAM,
    _dumps_guests,
)
from . import people

_logger = logging.getLogger(__name__)

# Odoo fields whose change moves an event's reminders or changes who gets them.
_ALARM_FIELDS = frozenset({"start", "stop", "allday", "alarm_ids", "partner_ids"})


def confirmed_people(events, values_list):
    """``people.confirmed_people`` of every organizer and
    attendee of ``values_list``, in one query for both resolutions."""
    emails = {values.get("organizer") for values in values_list} | {
        attendee["email"] for values in values_list for attendee in values.get("attendees", ())
    }
    return people.confirmed_people(events.env, sorted(emails - {"", None}))


def resolve_partners(events, values_list, confirmed, kept_out=None):
    """{normalized e-mail: partner} for the attendees of ``values_list``.

    An address is a user's partner only when it is the Google address that
    user connected (``people.confirmed_people``); else
    the oldest active contact with that e-mail that is no user's partner
    (a user's partner carries the e-mail the user chose); else a new
    contact, tagged, as long as the sync's budget of new contacts lasts.
    The addresses beyond it are missing from the answer: the callers keep
    those guests aside (``google_guests_left_out``), on Google only.
    ``kept_out`` (a set per values) names the guests an event left out
    before: no contact is created for them later, or an invitation's
    flood would come in by the budget's worth each time it changes.
    ``confirmed`` is ``confirmed_people`` of (at least) these
    values. One query, and one batch create.
    """
    names = {}
    for values in values_list:
        for attendee in values.get("attendees", ()):
            names.setdefault(attendee["email"], attendee.get("name") or "")
    emails = [email for email in names if email]
    if not emails:
        return {}
    Partner = events.env["res.partner"].sudo()
    by_email = {
        email: Partner.browse(confirmed[email][1]) for email in emails if email in confirmed
    }
    unmatched = [email for email in emails if email not in by_email]
    if unmatched:
        contacts = Partner.with_context(active_test=False).search(
            [
                ("email_normalized", "in", unmatched),
                ("active", "=", True),
                # Archived users too: their partners are theirs all the same.
                ("user_ids", "=", False),
            ],
            order="id",
        )
        for contact in contacts:
            by_email.setdefault(contact.email_normalized, contact)
    missing_by_event = [
        [
            a["email"]
            for a in values.get("attendees", ())
            if a["email"] not in by_email and a["email"] not in excluded
        ]
        for values, excluded in zip(values_list, kept_out or [()] * len(values_list), strict=True)
    ]
    missing_by_event = [missing for missing in missing_by_event if missing]
    if not missing_by_event:
        return by_email
    budget = contact_budget(events)
    chosen = budget.take(missing_by_event)
    if chosen:
        tag_id = events.env["ir.model.data"]._xmlid_to_res_id(
            "google_calendar_sync.partner_category_google_contact", raise_if_not_found=False
        )
        # No "contact created" note on each: the sync creates them in bulk.
        created = Partner.with_context(mail_create_nolog=True).create(
            [
                {
                    "name": names[email] or email,
                    "email": email,
                    "category_id": [Command.link(tag_id)] if tag_id else [],
                }
                for email in chosen
            ]
        )
        # Their (empty) meetings are in the cache: left there, Odoo would
        # update that list for every event these partners attend below.
        created.invalidate_recordset(["meeting_ids"])
        by_email.update(zip(chosen, created, strict=True))
    left_out = {email for missing in missing_by_event for email in missing} - set(chosen)
    if left_out:
        tell_contacts_ran_short(events, budget, len(left_out))
    return by_email


def contact_budget(events):
    """The sync's budget of new contacts (its limit read on first need), or a
    budget of this call's own outside a sync."""
    budget = events.env.context.get(CONTACT_BUDGET) or ContactBudget()
    if budget.limit is None:
        value = events.env["ir.config_parameter"].sudo()._google_param(MAX_NEW_CONTACTS_PARAM)
        try:
            budget.limit = max(0, int(value)) if value else DEFAULT_MAX_NEW_CONTACTS
        except ValueError:
            _logger.warning("%s is not a number: %r", MAX_NEW_CONTACTS_PARAM, value)
            budget.limit = DEFAULT_MAX_NEW_CONTACTS
    return budget


def tell_contacts_ran_short(events, budget, count):
    _logger.warning(
        "Google Calendar sync: %s guest address(es) not imported, the limit of %s new "
        "contacts per synchronization is reached",
        count,
        budget.limit,
    )
    if budget.told or budget.messages is None:
        return
    budget.told = True
    budget.messages.append(
        events.env._(
            "Some guests were not imported into Odoo: one synchronization creates at most "
            "%(limit)s new contacts. They remain guests on Google; each meeting concerned "
            "says so in its chatter.",
            limit=budget.limit,
        )
    )


def split_guests(events, attendees, partners):
    """``(imported, left_out)`` of neutral ``attendees``: ``(partner,
    attendee)`` pairs of those ``partners`` resolved, and the attendees
    that got no partner."""
    imported, left_out = [], []
    for attendee in attendees:
        partner = partners.get(attendee["email"])
        if partner:
            imported.append((partner, attendee))
        else:
            left_out.append(attendee)
    return imported, left_out


def note_guests_left_out(events):
    """Tell, in the chatter, that these events left guests out: once per
    event, and once for the occurrences of one series."""
    limit = contact_budget(events).limit
    told_series = set()
    for event in events:
        series = event.recurrence_id.id
        if series and series in told_series:
            continue
        told_series.add(series)
        left_out = [attendee["email"] for attendee in event._google_left_out()]
        shown = ", ".join(left_out[:_LEFT_OUT_SHOWN])
        if len(left_out) > _LEFT_OUT_SHOWN:
            shown += ", …"
        event._google_post_note(
            events.env._(
                "%(count)s guests of this meeting on Google were not imported into Odoo: one "
                "synchronization creates at most %(limit)s new contacts, and no contact is "
                "created for them later. They remain guests on Google, and the "
                "synchronization does not remove them: %(emails)s",
                count=len(left_out),
                limit=limit,
                emails=shown,
            )
        )


def resolve_alarms(events, values_list):
    """{(method, minutes): calendar.alarm}, matching existing alarms first."""
    wanted = {
        (alarm["method"], alarm["minutes"])
        for values in values_list
        for alarm in values.get("alarms", ())
    }
    if not wanted:
        return {}
    Alarm = events.env["calendar.alarm"].sudo()
    type_by_method = {method: kind for kind, method in _ALARM_METHOD_BY_TYPE.items()}
    existing = Alarm.search(
        [("duration_minutes", "in", list({minutes for _method, minutes in wanted}))], order="id"
    )
    by_key = {}
    for alarm in existing:
        by_key.setdefault((_ALARM_METHOD_BY_TYPE[alarm.alarm_type], alarm.duration_minutes), alarm)
    missing = sorted(wanted - by_key.keys())
    if missing:
        created = Alarm.create(
            [alarm_vals(events, type_by_method[method], minutes) for method, minutes in missing]
        )
        by_key.update(zip(missing, created, strict=True))
    return by_key


def alarm_vals(events, alarm_type, minutes):
    interval, duration = next(
        (
            (unit, minutes // size)
            for unit, size in (("days", 1440), ("hours", 60))
            if minutes and minutes % size == 0
        ),
        ("minutes", minutes),
    )
    label = dict(events.env["calendar.alarm"]._interval_selection)[interval]
    kind = "Email" if alarm_type == "email" else "Notification"
    return {
        "name": f"{kind} - {duration} {label}",
        "alarm_type": alarm_type,
        "duration": duration,
        "interval": interval,
    }


def resolve_organizers(events, values_list, confirmed):
    """{normalized e-mail: res.users} for the organizers that are Odoo users:
    by the Google address a user connected only (see ``resolve_partners``)."""
    Users = events.env["res.users"].sudo()
    return {
        values["organizer"]: Users.browse(confirmed[values["organizer"]][0])
        for values in values_list
        if values.get("organizer") in confirmed
    }


def time_vals(events, values):
    if values["allday"]:
        start = fields.Date.to_date(values["start"])
        stop = fields.Date.to_date(values["stop"])
        return {
            "allday": True,
            # Odoo stores an all-day event as midnight to midnight of its
            # first and last (inclusive) day.
            "start": datetime.combine(start, time.min),
            "stop": datetime.combine(stop, time.min),
        }
    return {
        "allday": False,
        # Neutral stamps are "YYYY-MM-DDTHH:MM:SSZ": fromisoformat without
        # the Z is several times faster than strptime on a large import.
        "start": datetime.fromisoformat(values["start"][:-1]),
        "stop": datetime.fromisoformat(values["stop"][:-1]),
        "start_date": False,
        "stop_date": False,
    }


def scalar_vals(events, values, organizers, alarms, account=None):
    """Odoo values of the neutral ``values`` but the guests; ``account`` is
    the calendar the event comes from (a ``google.calendar.account``)."""
    timezone = values.get("timezone") or ""
    organizer = organizers.get(values.get("organizer"))
    return {
        "name": values["name"] or _UNTITLED,
        "description": values["description"] or False,
        "location": values["location"] or False,
        **privacy_vals(events, values["privacy"], organizer, account),
        "show_as": values["show_as"] or "busy",
        "videocall_location": values["videocall"] or False,
        "google_timezone": timezone if timezone in pytz.all_timezones_set else False,
        "user_id": organizer.id if organizer else False,
        "google_organizer_email": False if organizer else (values.get("organizer") or False),
        "alarm_ids": [
            Command.set(
                [alarms[(alarm["method"], alarm["minutes"])].id for alarm in values["alarms"]]
            )
        ],
        **time_vals(events, values),
    }


def privacy_vals(events, privacy, organizer, account):
    """``privacy`` and ``google_defaulted_privacy`` for Google's neutral ``privacy``.

    Google's default ("") on an invitation whose organizer is no Odoo user
    becomes the default privacy of the user whose calendar it came from:
    Odoo would otherwise show a stranger's invitation to that user to
    every colleague (no organizer, no default to apply). That choice is
    Odoo's alone: remembered, it reads back as Google's default
    (``_google_privacy``), so the guest never sends it to the organizer.
    """
    if privacy or organizer or not account:
        return {"privacy": privacy or False, "google_defaulted_privacy": False}
    chosen = account.sudo().user_id.calendar_default_privacy or False
    return {"privacy": chosen, "google_defaulted_privacy": chosen}


def accounts_by_id(events, account_ids):
    """{id: google.calendar.account} of ``account_ids``, read together when needed."""
    accounts = events.env["google.calendar.account"].sudo().browse(set(account_ids) - {False})
    return {account.id: account for account in accounts}


def create_from_values(events, items):
    """Create one Odoo event per ``(neutral values, extra vals)`` in one batch."""
    values_list = [values for values, _extra in items]
    confirmed = confirmed_people(events, values_list)
    partners = resolve_partners(events, values_list, confirmed)
    alarms = resolve_alarms(events, values_list)
    organizers = resolve_organizers(events, values_list, confirmed)
    accounts = accounts_by_id(events, [extra.get("google_account_id") for _v, extra in items])
    vals_list = []
    for values, extra in items:
        imported, left_out = split_guests(events, values["attendees"], partners)
        account = accounts.get(extra.get("google_account_id"))
        owner = account.user_id.partner_id if account else None
        if (
            owner
            and not values["attendees"]
            and values["organizer"]
            and values["organizer"] == (account.google_email or "").lower()
        ):
            # The owner of a meeting without guests attends it, as in Odoo: the
            # calendar's default view shows a user the meetings they attend.
            imported.append((owner, {"status": "accepted"}))
        scalar = scalar_vals(events, values, organizers, alarms, account)
        vals_list.append(
            {
                **scalar,
                # Stored computed fields given their value now, as their
                # computes would: Odoo otherwise computes them after the
                # insert and updates every row again (a fifth of an import).
                "duration": events._get_duration(scalar["start"], scalar["stop"]),
                "partner_ids": [Command.set([partner.id for partner, _a in imported])],
                "attendee_ids": [
                    Command.create(
                        {
                            "partner_id": partner.id,
                            "state": attendee["status"],
                            "common_name": partner.name or partner.email,
                        }
                    )
                    for partner, attendee in imported
                ],
                "google_guests_left_out": _dumps_guests(left_out),
                **extra,
            }
        )
    # Odoo's create schedules the reminders while gathering the events one
    # union at a time, quadratic in a bulk import: they are scheduled here.
    created = quiet(events).with_context(dont_notify=True).create(vals_list)
    # Odoo's create makes every recurring event follow its rule: an occurrence
    # Google moved on its own is an exception, and must not be pushed back
    # onto the rule (nor rebuild the series around its new time).
    # (Known by their Google ids: Odoo's create returns recurring events last.)
    detached_ids = {
        vals["google_id"]
        for vals in vals_list
        if vals.get("recurrency") and vals.get("follow_recurrence") is False
    }
    detached = created.filtered(lambda event: event.google_id in detached_ids)
    if detached:
        quiet(detached).write({"follow_recurrence": False})
    setup_alarms(created.filtered(lambda event: not event.allday and event.alarm_ids))
    note_guests_left_out(created.filtered("google_guests_left_out"))
    return created


def setup_alarms(events):
    """Schedule the reminders of these events as Odoo's create would: the
    events with reminders Odoo sends through its cron (e-mail, SMS) go
    through Odoo's scheduling; the attendees of the others only need
    their next pop-up computed, once for all of them."""
    trigger_types = events._get_trigger_alarm_types()
    with_triggers = events.filtered(
        lambda event: any(alarm.alarm_type in trigger_types for alarm in event.alarm_ids)
    )
    with_triggers._setup_alarms()
    now = fields.Datetime.now()
    to_notify = (events - with_triggers).filtered(
        lambda event: event.stop >= now
        and any(alarm.alarm_type == "notification" for alarm in event.alarm_ids)
    )
    if to_notify:
        events.env["calendar.alarm_manager"]._notify_next_alarm(to_notify.partner_ids.ids)


def write_values(events, values_by_event, extra_by_event=None):
    """Bring each event to its neutral values, writing only what differs."""
    extra_by_event = extra_by_event or {}
    values_list = list(values_by_event.values())
    address_book = events._google_address_book()
    current = events._google_neutral_values(address_book)
    confirmed = confirmed_people(events, values_list)
    # Guests are looked up only where the guest list changed: an event
    # whose guests are as Odoo holds them creates no contact.
    guests_changed = events.filtered(
        lambda event: _guests(current[event.id]) != _guests(values_by_event[event.id])
    )
    partners = resolve_partners(
        events,
        [values_by_event[event.id] for event in guests_changed],
        confirmed,
        [{guest["email"] for guest in event._google_left_out()} for event in guests_changed],
    )
    alarms = resolve_alarms(events, values_list)
    organizers = resolve_organizers(events, values_list, confirmed)
    accounts = accounts_by_id(
        events,
        [
            extra_by_event.get(event.id, {}).get("google_account_id") or event.google_account_id.id
            for event in events
        ],
    )
    emails_of_partners = dict(address_book[1])
    emails_of_partners.update((partner.id, email) for email, partner in partners.items())
    newly_left_out = rescheduled = events.browse()
    # Odoo's write schedules reminders event by event, each time with a query
    # over every reminder of the calendar: they are scheduled once below, for
    # the events whose times, reminders or guests changed, and only those.
    for event in quiet(events).with_context(dont_notify=True):
        values = values_by_event[event.id]
        before = current[event.id]
        extra = extra_by_event.get(event.id, {})
        account = accounts.get(extra.get("google_account_id") or event.google_account_id.id)
        scalar = scalar_vals(events, values, organizers, alarms, account)
        vals = dict(extra)
        for key in diff_fields(before, values):
            vals.update({name: scalar[name] for name in _ODOO_FIELDS_BY_KEY.get(key, ())})
        # A guest's name is their contact's in Odoo: only who is invited and
        # what they answered are written (a name worded otherwise on Google
        # rewrites no guest list, and moves no reminder).
        attendees_changed = _guests(before) != _guests(values)
        if attendees_changed:
            imported, left_out = split_guests(events, values["attendees"], partners)
            vals["partner_ids"] = [Command.set([partner.id for partner, _a in imported])]
            vals["google_guests_left_out"] = _dumps_guests(left_out)
            if left_out and not event.google_guests_left_out:
                newly_left_out |= event
        if vals:
            event.write(vals)
        if _ALARM_FIELDS.intersection(vals):
            rescheduled |= event
        # Odoo resets the organizer's answer when someone else moves the
        # event (the sync is someone else); Google's answers stand.
        if attendees_changed or "start" in vals or _answers(before) != _answers(values):
            set_attendee_states(event, emails_of_partners, with_lone_organizer(values))
    reschedule_alarms(rescheduled)
    note_guests_left_out(newly_left_out)


def _guests(values):
    return [attendee["email"] for attendee in values["attendees"]]


def _answers(values):
    return [(attendee["email"], attendee["status"]) for attendee in values["attendees"]]


def reschedule_alarms(events):
    """What Odoo's write does for each event whose reminders may fire at another
    time or for other people, once for all of ``events``: the scheduled
    action's triggers of their e-mail (and other cron-sent) reminders, and the
    next pop-up of their attendees."""
    if not events:
        return
    recurring = events.filtered("recurrence_id")
    recurring.recurrence_id._setup_alarms(recurrence_update=True)
    trigger_types = events._get_trigger_alarm_types()
    (events - recurring).filtered(
        lambda event: any(alarm.alarm_type in trigger_types for alarm in event.alarm_ids)
    )._setup_alarms()
    now = fields.Datetime.now()
    upcoming = events.filtered(lambda event: event.stop >= now)
    # The next pop-up goes over the bus to the browsers open now; one opened
    # later asks for it itself (/calendar/notify). Working it out reads every
    # reminder of the user's calendar: done for the users connected now only,
    # so that a sync costs what changed, not what the calendar holds.
    connected = upcoming.partner_ids.user_ids.filtered(
        lambda user: not user.share and user.im_status != "offline"
    )
    if connected:
        events.env["calendar.alarm_manager"]._notify_next_alarm(connected.partner_id.ids)


def with_lone_organizer(values):
    """The attendees ``values`` mean: a meeting without guests is attended by
    its organizer, who accepted it (``mapping.without_lone_organizer``)."""
    if values["attendees"] or not values.get("organizer"):
        return values["attendees"]
    return [{"email": values["organizer"], "status": "accepted"}]


def set_attendee_states(events, emails_of_partners, attendees):
    """Give each attendee the answer Google lists for its address
    (``emails_of_partners``: {partner id: address Google knows it by})."""
    events.ensure_one()
    status_by_email = {attendee["email"]: attendee["status"] for attendee in attendees}
    by_status = {}
    for attendee in events.attendee_ids:
        status = status_by_email.get(emails_of_partners.get(attendee.partner_id.id))
        if status and attendee.state != status:
            by_status[status] = by_status.get(status, attendee.browse()) | attendee
    for status, group in by_status.items():
        group.write({"state": status})


def quiet(events):
    """This recordset in a context where writes pulled from Google neither
    mark dirty, nor send Odoo's invitation mails, nor touch descriptions."""
    return events.with_context(
        **{
            FROM_GOOGLE: True,
            "no_mail_to_attendees": True,
            "skip_attendee_notification": True,
            "skip_contact_description": True,
            "mail_create_nolog": True,
            "mail_notrack": True,
        }
    )
