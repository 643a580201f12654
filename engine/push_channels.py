"""Google push notifications (watch channels): the decisions, without Odoo.

A watch channel asks Google to POST to our notification URL whenever a
calendar changes. The POST carries no event data, only the channel's id, the
token we chose when opening it and the resource id Google gave it: the
receiver schedules an incremental sync, nothing more.

Anyone on the internet can POST to that URL, so a notification is believed
only when all three values match a live channel. The token is a random
secret known to Google and to us only; we keep its SHA-256 digest, never the
token itself, and compare digests in constant time. A genuine channel can
still be made to talk a lot (a burst of edits, or someone replaying a
captured notification): a notification only *asks* for a sync, requests
coalesce while one is pending (debounce) and an account is never synced on
notifications more often than a minimum interval, so nothing that arrives at
the URL makes Odoo call Google more often than that.
"""

import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from .oauth import is_on_this_machine

NOTIFY_PATH = "/google_calendar_sync/notify"
#: Channel lifetime asked of Google (it may give less): one week, Google's default.
CHANNEL_TTL = timedelta(days=7)
#: Renewed this long before it expires (the renewal cron runs hourly).
RENEWAL_MARGIN = timedelta(hours=6)
#: A channel that received no message at all (not even the ``sync`` message
#: Google sends when it opens) this long after it was opened is deemed
#: unreachable, and replaced.
SILENCE_LIMIT = timedelta(minutes=10)
#: A notification's sync runs this long after it arrived. None by default:
#: Odoo's cron workers wake at once for a trigger due now, but only at their
#: next poll (up to a minute) for one due later. The first change after a
#: quiet spell is synced at once; the rest of a burst (moving a series, a
#: phone sending offline edits) waits for the minimum interval below, then
#: comes in one sync.
DEFAULT_SYNC_DELAY_SECONDS = 0
#: Two syncs of an account caused by notifications are at least this far apart.
DEFAULT_MIN_INTERVAL_SECONDS = 15
#: While an account's channels are healthy, the cron polls it this often (minutes).
DEFAULT_PUSH_POLL_MINUTES = 60

RESOURCE_STATES = ("sync", "exists", "not_exists")


def new_channel_id():
    """A channel id: Google wants it unique per project, [A-Za-z0-9-_+/=], <= 64 chars."""
    return str(uuid.uuid4())


def new_channel_token():
    """The per-channel secret Google echoes in ``X-Goog-Channel-Token`` (<= 256 chars)."""
    return secrets.token_urlsafe(32)


def hash_token(token):
    """What is stored of a token: its SHA-256 hex digest (the token is 256 random bits,
    so no salt or slow hash is needed to keep it from being guessed back)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token, token_hash):
    """Whether ``token`` (a header's value, maybe missing) is the one behind
    ``token_hash``; constant-time in the digest."""
    if not isinstance(token, str) or not isinstance(token_hash, str) or not token_hash:
        return False
    return hmac.compare_digest(hash_token(token), token_hash)


def same_secret(given, expected):
    """Constant-time equality of two header values (missing values never match)."""
    if not isinstance(given, str) or not isinstance(expected, str) or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def notify_url(base_url):
    """The address Google POSTs to for this Odoo (``web.base.url``)."""
    return (base_url or "").rstrip("/") + NOTIFY_PATH


def notify_url_refusal(base_url):
    """Why Google cannot be given this Odoo's notification URL, or None.

    Google delivers to public HTTPS addresses only; plain HTTP is accepted
    on a loopback host, where the local stand-in for Google (``make run``,
    the tests) is the only sender.
    """
    parts = urlsplit(base_url or "")
    if not parts.hostname:
        return "no_base_url"
    if parts.scheme == "https" or (parts.scheme == "http" and is_on_this_machine(base_url)):
        return None
    return "not_https"


def expiration_from_google(channel, now):
    """The channel's expiry as a naive UTC datetime (Odoo's form), from Google's
    ``expiration`` (epoch milliseconds, as a string); ``now + CHANNEL_TTL`` when absent."""
    try:
        millis = int(channel.get("expiration"))
    except (TypeError, ValueError):
        return now + CHANNEL_TTL
    return datetime.fromtimestamp(millis / 1000, UTC).replace(tzinfo=None)


def channel_health(*, opened, expiration, last_message, now):
    """``"live"``, ``"expired"`` or ``"silent"`` (no message ever came).

    ``opened``, ``expiration``, ``last_message`` (None or False when none
    came) and ``now`` are naive UTC datetimes.
    """
    if not expiration or expiration <= now:
        return "expired"
    if not last_message and opened + SILENCE_LIMIT <= now:
        return "silent"
    return "live"


def needs_replacing(*, opened, expiration, last_message, now):
    """A channel to stop and open again: expired, silent, or close to its expiry."""
    health = channel_health(
        opened=opened, expiration=expiration, last_message=last_message, now=now
    )
    return health != "live" or expiration - RENEWAL_MARGIN <= now


def sync_due_at(now, *, last_push_sync, delay_seconds, min_interval_seconds):
    """When a sync asked for by a notification arriving ``now`` should run:
    after the debounce delay, and never closer than the minimum interval to
    the previous sync a notification caused. Whole seconds, rounded up: Odoo's
    cron runner clears the triggers due by the current second."""
    due = now + timedelta(seconds=max(delay_seconds, 0))
    if last_push_sync:
        due = max(due, last_push_sync + timedelta(seconds=max(min_interval_seconds, 0)))
    if due.microsecond:
        due = due.replace(microsecond=0) + timedelta(seconds=1)
    return due


def poll_due(*, last_sync, channels_healthy, now, poll_minutes):
    """Whether the polling cron should sync an account now.

    Polling is the fallback: an account without healthy channels is polled
    at every run of the cron; one whose channels are healthy only every
    ``poll_minutes``, in case a notification was lost.
    """
    if not channels_healthy or not last_sync:
        return True
    return last_sync + timedelta(minutes=poll_minutes) <= now
