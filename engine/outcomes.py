"""What one write to Google came to, and what the sync does about it.

Every write the sync sends (insert, patch, delete; of an event, a series
master or one occurrence) ends in one of these outcomes; the sync handles each
the same way whatever it wrote, so that a rule (for instance: Google's
``quotaExceeded`` keeps the change and pauses the calendar's writes) holds for
events and series alike.
"""

from enum import StrEnum

from .errors import (
    Duplicate,
    EventGone,
    Forbidden,
    GoogleApiError,
    NotFound,
    PreconditionFailed,
    QuotaExceeded,
)


class Outcome(StrEnum):
    AGREED = "agreed"  # Google took the write: its answer is the new agreed state
    DUPLICATE = "duplicate"  # an insert Google holds from an earlier attempt: read, reconcile
    CHANGED = "changed"  # 412, changed on Google meanwhile: read, reconcile, send again
    GONE = "gone"  # 404/410: deleted on Google
    REFUSED = "refused"  # Google never takes these values: tell once, stop sending them
    PAUSE = "pause"  # quotaExceeded: keep the change, write nothing to this calendar for a while
    RETRY = "retry"  # anything else (network, 5xx, expired budget...): keep it for the next sync


def classify(result):
    """The :class:`Outcome` of one call's result, as ``CalendarClient.execute_batch``
    gives it: the event (a dict), ``None`` for a delete, or the error."""
    if result is None or isinstance(result, dict):
        return Outcome.AGREED
    if isinstance(result, Duplicate):
        return Outcome.DUPLICATE
    if isinstance(result, PreconditionFailed):
        return Outcome.CHANGED
    if isinstance(result, NotFound | EventGone):
        return Outcome.GONE
    if isinstance(result, QuotaExceeded):
        return Outcome.PAUSE
    if isinstance(result, Forbidden):
        return Outcome.REFUSED
    if (
        isinstance(result, GoogleApiError)
        and not result.retryable
        and result.status
        and 400 <= result.status < 500
        # 401 is the token (the client refreshed it already); another 403 is
        # a limit of Google's, not a verdict on the values.
        and result.status not in (401, 403)
    ):
        return Outcome.REFUSED
    return Outcome.RETRY


def fate_unknown(result):
    """Whether ``result`` leaves unknown if Google applied the write: no answer,
    a 5xx, an unreadable answer. An insert that ended so is looked up by its id
    before it is sent again: Google does not promise to refuse a second insert
    of the same id."""
    return isinstance(result, GoogleApiError) and result.maybe_applied
