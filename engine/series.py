"""A recurring series as a whole: its neutral values, its occurrences, their plan.

Pure functions on neutral values (see docs/architecture.md). On Google a series
is one master event (with ``recurrence`` lines) plus exceptions; in Odoo it is a
``calendar.recurrence`` with one event per occurrence. The unit both sides agree
on is the *series values*: the neutral values of the master (first occurrence's
times, recurrence lines including one EXDATE per deleted occurrence). Each
occurrence is then either exactly :func:`occurrence_values` of the series at its
original start (a plain instance) or an exception, synced on its own.
"""

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from . import reconcile, recurrence
from .mapping import NEUTRAL_KEYS, diff_fields, normalize_values

# Keys an occurrence takes from its own times rather than from the series.
TIME_KEYS = ("allday", "start", "stop", "timezone")


def _shift(values, new_start):
    """``values`` moved to start at ``new_start`` (neutral), keeping the duration.

    A timed event keeps its duration in real time; an all-day one its number of days.
    """
    allday = values["allday"]
    first = recurrence.parse_neutral_start(values["start"], allday)
    last = recurrence.parse_neutral_start(values["stop"], allday)
    moved = recurrence.parse_neutral_start(new_start, allday)
    return {
        **values,
        "start": recurrence.format_neutral_start(moved),
        "stop": recurrence.format_neutral_start(moved + (last - first)),
    }


def occurrence_values(series, original_start):
    """The neutral values a plain (unmodified) occurrence of ``series`` has."""
    return {**_shift(series, original_start), "recurrence": []}


def occurrence_starts(series):
    """Neutral starts of the occurrences of ``series`` (EXDATEs applied), inside the
    horizon (see ``recurrence.expand``) and ending by the end of year 9999."""
    allday = series["allday"]
    duration = recurrence.parse_neutral_start(
        series["stop"], allday
    ) - recurrence.parse_neutral_start(series["start"], allday)
    latest = date.max if allday else datetime.max.replace(tzinfo=UTC)
    return recurrence.neutral_occurrences(
        series["recurrence"],
        start=series["start"],
        timezone_name=series["timezone"],
        allday=allday,
        # A later occurrence's end is past any date Python (or Odoo) can hold.
        until=latest - max(duration, timedelta()),
    )


def _guests_by_address(values):
    """``values`` whose guests are their addresses and answers only: Odoo holds its
    partners' names where Google often holds none, so a name is no edit."""
    guests = sorted(
        (guest["email"], guest.get("status")) for guest in values.get("attendees") or ()
    )
    return {**values, "attendees": guests}


def only_drops_occurrences(agreed, changed):
    """Whether ``changed`` is the series ``agreed`` with nothing changed but its
    rule, and that only to hold fewer occurrences (an earlier end, an excluded
    date, the first half of a split); an EXDATE it lifts counts as no change, as
    the occurrence it brings back is one the series had dropped. Such a change
    edits no occurrence: a deletion of the whole series made meanwhile undoes
    nothing of it. Guests' names are no edit."""

    def apart_from_the_rule(values):
        return {**_guests_by_address(values), "recurrence": None}

    if apart_from_the_rule(agreed) != apart_from_the_rule(changed):
        return False
    possible = {
        **agreed,
        "recurrence": [line for line in agreed["recurrence"] if not line.startswith("EXDATE")],
    }
    return set(occurrence_starts(changed)) <= set(occurrence_starts(possible))


def edited_beyond_dropped_occurrences(agreed, changed):
    """Whether ``changed`` edits the series ``agreed`` beyond deleting occurrences
    (EXDATEs, an earlier end): a field other than the rule, or a rule holding an
    occurrence ``agreed`` did not. Only such an edit outlives a deletion of the
    whole series on the other side. Guests' names are no edit."""
    edited = diff_fields(_guests_by_address(agreed), _guests_by_address(changed))
    if edited - {"recurrence"}:
        return True
    return "recurrence" in edited and not set(occurrence_starts(changed)) <= set(
        occurrence_starts(agreed)
    )


def with_cancelled(series, cancelled_starts):
    """``series`` whose lines also exclude ``cancelled_starts`` (cancelled instances).

    Google keeps a cancelled occurrence as a cancelled instance, not as an EXDATE of
    the master; Odoo simply has no event for it. Writing both as EXDATEs lets the two
    sides compare a series by plain equality.
    """
    if not cancelled_starts:
        return series
    allday = series["allday"]
    if allday:
        extra = [f"EXDATE;VALUE=DATE:{start.replace('-', '')}" for start in cancelled_starts]
    else:
        extra = [
            "EXDATE:" + recurrence.parse_neutral_start(start, False).strftime("%Y%m%dT%H%M%SZ")
            for start in cancelled_starts
        ]
    return normalize_values({**series, "recurrence": list(series["recurrence"]) + extra})


def local_day(neutral_start, timezone_name, allday):
    """The local date of a neutral start (all-day: the date itself)."""
    moment = recurrence.parse_neutral_start(neutral_start, allday)
    return moment if allday else moment.astimezone(recurrence.zone(timezone_name)).date()


def rule_start_by_day(series):
    """{local day: neutral start} of the occurrences of ``series``."""
    return {
        local_day(start, series["timezone"], series["allday"]): start
        for start in occurrence_starts(series)
    }


def _local_time(neutral_start, timezone_name, allday):
    if allday:
        return None
    moment = recurrence.parse_neutral_start(neutral_start, False)
    return moment.astimezone(recurrence.zone(timezone_name)).time()


def _at_local_time_of(reference, day, timezone_name, allday):
    """The neutral start on local ``day`` at the local time of ``reference``."""
    if allday:
        return recurrence.format_neutral_start(day)
    series_zone = recurrence.zone(timezone_name)
    clock = _local_time(reference, timezone_name, allday)
    local = datetime.combine(day, clock).replace(tzinfo=series_zone)
    # Round-trip through UTC: a wall time inside a DST gap gets its real offset.
    return recurrence.format_neutral_start(local.astimezone(UTC))


def _rule_anchor(rule_lines, first_start, earlier_starts, timezone_name, allday):
    """Where the rule starts: at ``first_start`` (the first occurrence that follows
    the rule), or earlier, on the local day of one of ``earlier_starts`` (original
    starts of moved occurrences), at the same local time, when the rule produces
    that start and, from there, ``first_start``'s day too."""
    first_day = local_day(first_start, timezone_name, allday)
    days = sorted(
        {local_day(start, timezone_name, allday) for start in earlier_starts} - {first_day}
    )
    for day in days:
        if day > first_day:
            break
        candidate = _at_local_time_of(first_start, day, timezone_name, allday)
        starts = recurrence.neutral_occurrences(
            rule_lines, start=candidate, timezone_name=timezone_name, allday=allday
        )
        # dateutil leaves out a first start the rule does not produce.
        if starts[:1] == [candidate] and first_day in {
            local_day(start, timezone_name, allday) for start in starts
        }:
            return candidate
    return first_start


def moved_originals(plain_starts, moved, *, rule_lines, timezone_name, allday, hints=None):
    """{key: original start} of the occurrences moved on their own.

    ``moved``: {key: (original start or None, current start)}. An occurrence synced
    once knows its original start (from its instance id); one moved in Odoo before
    its series reached Google does not: it is the start of the rule (at the time
    of the occurrences that follow it) that no occurrence holds, on the day of its
    ``hints`` entry (the start Odoo's rule gave it before it was moved, when the
    module saw the move), else on the moved occurrence's own day, else the nearest
    one. With no occurrence following the rule, or no start free, its own start
    stands.
    """
    hints = hints or {}
    originals = {key: known for key, (known, _current) in moved.items() if known}
    unknown = sorted(
        ((current, key) for key, (known, current) in moved.items() if not known),
        key=lambda item: item[0],
    )
    if not unknown:
        return originals
    if not plain_starts:
        return {**originals, **{key: current for current, key in unknown}}
    hinted = {key: hints[key] for _current, key in unknown if hints.get(key)}
    anchor = _rule_anchor(
        rule_lines,
        min(plain_starts),
        [*originals.values(), *(current for current, _key in unknown), *hinted.values()],
        timezone_name,
        allday,
    )

    def day(start):
        return local_day(start, timezone_name, allday)

    held = {day(start) for start in [*plain_starts, *originals.values()]}
    free = [
        start
        for start in recurrence.neutral_occurrences(
            rule_lines, start=anchor, timezone_name=timezone_name, allday=allday
        )
        if day(start) not in held
    ]
    # Where Odoo's rule had them first: two occurrences moved past each other's
    # days stay apart.
    for current, key in list(unknown):
        same_day = [start for start in free if key in hinted and day(start) == day(hinted[key])]
        if same_day:
            originals[key] = same_day[0]
            free.remove(same_day[0])
            unknown.remove((current, key))
    for current, key in unknown:
        same_day = [start for start in free if day(start) == day(current)]
        moment = recurrence.parse_neutral_start(current, allday)
        nearest = same_day or sorted(
            free,
            key=lambda start: abs(recurrence.parse_neutral_start(start, allday) - moment),
        )
        originals[key] = nearest[0] if nearest else current
        if nearest:
            free.remove(nearest[0])
    return originals


def series_from_occurrences(occurrences, *, rule_lines, exceptions=(), agreed=None, voters=None):
    """Series values from the Odoo side: its occurrences and its rule.

    ``occurrences`` are the neutral values of the occurrences that follow the rule
    (not moved on their own), each at its own start; ``rule_lines`` the Google lines
    of the Odoo rule (no EXDATE); ``exceptions`` ``(original start, values)`` of the
    moved occurrences (see :func:`moved_originals`). Every non-time field takes the
    value most ``voters`` hold (by default the occurrences that follow the rule: the
    caller leaves out those holding values of their own on Google), so one
    occurrence renamed alone does not rename the series, or with none of them,
    most moved ones; times
    come from the first occurrence that follows the rule, else from the first moved
    one put back at its original start. The rule starts at the earliest of them (a
    moved first occurrence is still the first: its original start is an occurrence
    of the rule). The series keeps the ``agreed`` first start when that is still an
    occurrence of the rule at the same local time, so a deleted first occurrence
    becomes an EXDATE rather than a moved series; each expected start that no
    occurrence holds (where it is, or where it was moved from) becomes an EXDATE,
    except a run of them at the end, which ends the rule instead. None when there
    is no occurrence at all.
    """
    exceptions = sorted(exceptions, key=lambda item: item[0])
    if not occurrences and not exceptions:
        return None
    occurrences = sorted(occurrences, key=lambda values: values["start"])
    voters = voters or occurrences or [values for _original, values in exceptions]
    first = occurrences[0] if occurrences else _shift(exceptions[0][1], exceptions[0][0])
    series = dict(first)
    for key in NEUTRAL_KEYS:
        if key in TIME_KEYS or key == "recurrence":
            continue
        counts = Counter(_frozen(values[key]) for values in voters)
        best = max(counts.values())
        # Ties go to the earliest occurrence holding a most common value.
        series[key] = next(v[key] for v in voters if counts[_frozen(v[key])] == best)
    timezone_name, allday = first["timezone"], first["allday"]
    exception_originals = [original for original, _values in exceptions]
    anchor = _rule_anchor(rule_lines, first["start"], exception_originals, timezone_name, allday)
    if (
        agreed
        and agreed["allday"] == allday
        and agreed["start"] < anchor
        and _local_time(agreed["start"], timezone_name, allday)
        == _local_time(anchor, timezone_name, allday)
    ):
        candidates = recurrence.neutral_occurrences(
            rule_lines,
            start=agreed["start"],
            timezone_name=timezone_name,
            allday=allday,
        )
        if anchor in candidates:
            anchor = agreed["start"]
    expected = recurrence.neutral_occurrences(
        rule_lines,
        start=anchor,
        timezone_name=timezone_name,
        allday=allday,
    )
    # Compared by local day: calendars repeat at most daily, and Odoo computes
    # times with pytz, whose zone rules stop in 2037 (an hour off after that).
    present = {local_day(start, timezone_name, allday) for start in exception_originals}
    present.update(local_day(values["start"], timezone_name, allday) for values in occurrences)
    missing = [
        start for start in expected if local_day(start, timezone_name, allday) not in present
    ]
    held = [start for start in expected if start not in set(missing)]
    if held and missing and missing[-1] == expected[-1]:
        # Odoo deletes "this and following" occurrences one by one: a series that
        # stops early is a rule that ends, not hundreds of EXDATEs.
        rule_lines = _ending_on(rule_lines, held[-1], timezone_name, allday)
        missing = [start for start in missing if start < held[-1]]
    series = _shift(series, anchor)
    series["recurrence"] = list(rule_lines)
    return with_cancelled(normalize_values(series), missing)


def merge_recurrence(agreed, odoo, google):
    """``recurrence`` lines that keep both sides' changes to a series' occurrences,
    or None when they cannot be merged at the level of the rule.

    For a series whose rule both sides changed since ``agreed`` (e.g. Google
    split it, an UNTIL, while Odoo deleted one occurrence, an EXDATE): the
    occurrences either side removed stay removed and those either side added
    stay, so that neither side's change is undone. Written as one side's rule
    (Google's first) with an EXDATE per occurrence it produces that is not kept,
    a run of them at the end ending the rule instead. Only for series whose
    times agree on both sides, and when one side's rule produces every
    occurrence kept.
    """
    if any(odoo[key] != google[key] for key in TIME_KEYS):
        return None
    timezone_name, allday = odoo["timezone"], odoo["allday"]

    def day(start):
        return local_day(start, timezone_name, allday)

    try:
        before, mine, theirs = (
            {day(start) for start in occurrence_starts(series)} for series in (agreed, odoo, google)
        )
        kept = (mine & theirs) | (mine - before) | (theirs - before)
        if not kept:
            return None
        for side in (google, odoo):
            rule_lines = [
                line for line in side["recurrence"] if not line.upper().startswith("EXDATE")
            ]
            expected = recurrence.neutral_occurrences(
                rule_lines, start=side["start"], timezone_name=timezone_name, allday=allday
            )
            if not kept <= {day(start) for start in expected}:
                continue
            missing = [start for start in expected if day(start) not in kept]
            held = [start for start in expected if day(start) in kept]
            if missing and missing[-1] == expected[-1]:
                rule_lines = _ending_on(rule_lines, held[-1], timezone_name, allday)
                missing = [start for start in missing if start < held[-1]]
            return with_cancelled({**side, "recurrence": rule_lines}, missing)["recurrence"]
    except recurrence.InvalidRecurrence:
        return None
    return None


def _ending_on(rule_lines, last_start, timezone_name, allday):
    """``rule_lines`` ending with the occurrence at ``last_start``, as Odoo says it
    ("until that local day"), so both sides write the same lines."""
    parts = recurrence.parse_rule(rule_lines[0])
    parts.pop("COUNT", None)
    parts["UNTIL"] = local_day(last_start, timezone_name, allday).strftime("%Y%m%d")
    return recurrence.odoo_to_google(
        recurrence.format_rule(parts, prefix=""), timezone_name=timezone_name, allday=allday
    )


def _frozen(value):
    """A hashable stand-in for a neutral value (lists of dicts included)."""
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((key, _frozen(item)) for key, item in value.items()))
    return value


def plan_occurrences(wanted, existing, *, timezone_name, allday):
    """Which existing occurrences become which wanted ones.

    ``wanted``: neutral starts the series must have; ``existing``: {key: original
    neutral start} of the occurrences there are. Returns ``(keep, create, delete)``:
    ``keep`` {key: wanted start} (same start, or same local day when the series'
    time moved, so records survive a time change), ``create`` the wanted starts
    nobody holds, ``delete`` the keys left over.
    """
    wanted_set = set(wanted)
    keep = {key: start for key, start in existing.items() if start in wanted_set}
    taken = set(keep.values())

    def day(start):
        return local_day(start, timezone_name, allday)

    free_by_day = {}
    for start in wanted:
        if start not in taken:
            free_by_day.setdefault(day(start), []).append(start)
    for key, start in sorted(existing.items(), key=lambda item: item[1]):
        if key in keep:
            continue
        candidates = free_by_day.get(day(start))
        if candidates:
            keep[key] = candidates.pop(0)
    taken = set(keep.values())
    create = [start for start in wanted if start not in taken]
    delete = [key for key in existing if key not in keep]
    return keep, create, delete


def rule_starts(series):
    """Neutral starts the rule of ``series`` produces, deleted ones (EXDATEs) included."""
    lines = [line for line in series["recurrence"] if not line.startswith("EXDATE")]
    return occurrence_starts({**series, "recurrence": lines})


def rewritten_start(google_series, odoo_series, original_start):
    """Where Odoo's series holds the occurrence Google knows at ``original_start``.

    Odoo rewrites a series on its own (an "all events" change of time or rule,
    "this and following"): its occurrences are made anew where its rule now puts
    them, unknown to Google until the push. ``google_series`` is the series
    Google holds, ``odoo_series`` Odoo's. Returns ``original_start`` when Odoo's
    rule still has that start (deleted there or not: nothing was rewritten), else
    the start Odoo's rule has on the same local day (a time change), else the
    start of the same rank in Odoo's rule (the Nth occurrence stays the Nth);
    None when Odoo's rule ends before that rank (split or shortened there).
    """
    odoo_starts = rule_starts(odoo_series)
    if original_start in odoo_starts:
        return original_start
    timezone_name, allday = odoo_series["timezone"], odoo_series["allday"]
    day = local_day(original_start, timezone_name, allday)
    same_day = [start for start in odoo_starts if local_day(start, timezone_name, allday) == day]
    if same_day:
        return same_day[0]
    google_starts = rule_starts(google_series)
    if original_start not in google_starts:
        return original_start
    rank = google_starts.index(original_start)
    return odoo_starts[rank] if rank < len(odoo_starts) else None


def same_series(a, b):
    """Whether two series values hold the same series, whoever answered what: the
    guests' answers and names, and whether the organizer is listed among them
    (Odoo lists its owner, Google an event without guests lists nobody), do
    not tell series apart."""

    def guests(values):
        return {**values, "attendees": _guest_emails(values)}

    return not diff_fields(guests(a), guests(b))


def _guest_emails(values):
    """The guests' e-mails, sorted, the organizer left out."""
    listed = {guest["email"] for guest in values.get("attendees") or ()}
    return sorted(listed - {values.get("organizer")})


def same_split(mine, theirs):
    """Whether two lists of occurrences (sorted by start) hold the same
    occurrences at the same times, whatever else they hold: the new halves of
    one split made on both sides, each perhaps edited apart."""
    return len(mine) == len(theirs) and not any(map(is_time_change, mine, theirs))


def merge_split_halves(before, mine, theirs):
    """The series values of Odoo's half (``mine``) of a split both sides made,
    folded into Google's (``theirs``; halves of :func:`same_split`).

    Each value is merged as a conflict is elsewhere (``reconcile``), against the
    series the split was made in, ``before`` (its agreed values, or None): a
    value only one side changed is that side's; one both changed Odoo's, as a
    tie without Google's change time is (Odoo keeps no ``updated`` stamp of a
    series; the value replaced is told). The times and rule are Google's, the
    same occurrences on both sides, and a guest list that differs only by its
    organizer (:func:`same_series`) is no change. Returns (merged series
    values, lost values).
    """
    times = {key: theirs[key] for key in (*TIME_KEYS, "recurrence")}
    odoo = {**mine, **times}
    base = None if before is None else {**before, **times}
    for reference in (theirs, base):
        if reference is not None and _guest_emails(odoo) == _guest_emails(reference):
            odoo["attendees"] = reference["attendees"]
            break
    decision = reconcile.reconcile(base, odoo, theirs)
    return decision.values, decision.lost


def master_patch_keys(changed):
    """The keys a patch of a series' master sends for the ``changed`` keys: new
    times send the rule too. Google's rule may end with an ``UNTIL`` moment
    within a day (the old half of a split ends one second before the new half
    starts), which Odoo's rule, ending on a day, reads as the day before: the
    same occurrences at the old times, but earlier times would bring in that
    last day's occurrence on Google only. None (everything) stays None."""
    if changed is None:
        return None
    if set(TIME_KEYS) & set(changed):
        return set(changed) | {"recurrence"}
    return set(changed)


def is_time_change(a, b):
    """Whether two values of one occurrence differ in their times."""
    return any(a[key] != b[key] for key in TIME_KEYS)


def carry_series_change(current, old_plain, new_plain, *, times=True, held=None):
    """An occurrence's values after its series changed from ``old_plain`` to ``new_plain``.

    ``old_plain``/``new_plain`` are the occurrence's plain values before and after
    (see :func:`occurrence_values`). Only what the series change touched moves; a
    field the occurrence holds on its own (e.g. renamed for this event only, not
    yet sent) stays, even when the series change touched it: the occurrence is
    an exception for that field, as Google keeps an instance's own values when
    its series changes. ``held``: the occurrence's plain values in the series
    Odoo holds (default ``old_plain``), what an own value differs from; a series
    changed in Odoo for all events is no value of the occurrence's own. Times
    move as one block, unless ``times`` is false (an occurrence moved on its
    own keeps its times).
    """
    held = held or old_plain
    result = dict(current)
    time_changed = times and any(old_plain[key] != new_plain[key] for key in TIME_KEYS)
    for key in NEUTRAL_KEYS:
        if key in TIME_KEYS:
            if time_changed:
                result[key] = new_plain[key]
        elif old_plain[key] != new_plain[key] and current[key] == held[key]:
            result[key] = new_plain[key]
    return result
