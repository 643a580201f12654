"""engine.push_channels: the decisions behind Google push notifications."""

from datetime import UTC, datetime, timedelta

from engine import push_channels as pc

NOW = datetime(2030, 1, 1, 12, 0, 0)


def test_ids_and_tokens_are_random_and_fit_google():
    ids = {pc.new_channel_id() for _ in range(100)}
    tokens = {pc.new_channel_token() for _ in range(100)}
    assert len(ids) == len(tokens) == 100
    assert all(len(i) <= 64 for i in ids)
    assert all(32 <= len(t) <= 256 for t in tokens)


def test_token_checked_against_its_digest_only():
    token = pc.new_channel_token()
    digest = pc.hash_token(token)
    assert token not in digest
    assert pc.token_matches(token, digest)
    assert not pc.token_matches(token + "x", digest)
    assert not pc.token_matches(None, digest)
    assert not pc.token_matches("", digest)
    assert not pc.token_matches(token, "")
    assert not pc.token_matches(token, None)


def test_same_secret_refuses_missing_values():
    assert pc.same_secret("abc", "abc")
    assert not pc.same_secret("abd", "abc")
    assert not pc.same_secret(None, "abc")
    assert not pc.same_secret("", "")


def test_notify_url_needs_https_except_on_loopback():
    assert pc.notify_url("https://odoo.example.com/") == (
        "https://odoo.example.com/google_calendar_sync/notify"
    )
    assert pc.notify_url_refusal("https://odoo.example.com") is None
    assert pc.notify_url_refusal("http://localhost:8069") is None
    assert pc.notify_url_refusal("http://127.0.0.1:8069") is None
    assert pc.notify_url_refusal("http://odoo.example.com") == "not_https"
    assert pc.notify_url_refusal("http://10.0.0.5:8069") == "not_https"
    assert pc.notify_url_refusal("") == "no_base_url"


def test_expiration_from_google_milliseconds():
    millis = int(datetime(2030, 1, 8, 12, 0, tzinfo=UTC).timestamp() * 1000)
    # Naive UTC, as Odoo keeps datetimes.
    assert pc.expiration_from_google({"expiration": str(millis)}, NOW) == datetime(2030, 1, 8, 12)
    assert pc.expiration_from_google({}, NOW) == NOW + pc.CHANNEL_TTL
    assert pc.expiration_from_google({"expiration": "soon"}, NOW) == NOW + pc.CHANNEL_TTL


def test_health_and_replacement():
    week = NOW + timedelta(days=7)
    health = pc.channel_health
    assert health(opened=NOW, expiration=week, last_message=None, now=NOW) == "live"
    later = NOW + pc.SILENCE_LIMIT
    assert health(opened=NOW, expiration=week, last_message=None, now=later) == "silent"
    assert health(opened=NOW, expiration=week, last_message=False, now=later) == "silent"
    assert health(opened=NOW, expiration=week, last_message=NOW, now=later) == "live"
    assert health(opened=NOW, expiration=NOW, last_message=NOW, now=NOW) == "expired"
    assert not pc.needs_replacing(opened=NOW, expiration=week, last_message=NOW, now=NOW)
    close = week - pc.RENEWAL_MARGIN
    assert pc.needs_replacing(opened=NOW, expiration=week, last_message=NOW, now=close)
    assert pc.needs_replacing(opened=NOW, expiration=week, last_message=None, now=later)


def test_sync_due_debounced_and_spaced():
    assert pc.sync_due_at(
        NOW, last_push_sync=None, delay_seconds=2, min_interval_seconds=15
    ) == NOW + timedelta(seconds=2)
    # No delay: due now, so that Odoo's cron workers are woken at once.
    assert pc.sync_due_at(NOW, last_push_sync=None, delay_seconds=0, min_interval_seconds=15) == NOW
    assert pc.sync_due_at(
        NOW, last_push_sync=NOW - timedelta(seconds=5), delay_seconds=2, min_interval_seconds=15
    ) == NOW + timedelta(seconds=10)
    assert pc.sync_due_at(
        NOW, last_push_sync=NOW - timedelta(hours=1), delay_seconds=2, min_interval_seconds=15
    ) == NOW + timedelta(seconds=2)


def test_sync_due_in_whole_seconds():
    now = NOW.replace(microsecond=300)
    due = pc.sync_due_at(now, last_push_sync=None, delay_seconds=0.5, min_interval_seconds=15)
    assert due == NOW + timedelta(seconds=1)


def test_poll_less_often_while_channels_healthy():
    recent = NOW - timedelta(minutes=20)
    assert pc.poll_due(last_sync=recent, channels_healthy=False, now=NOW, poll_minutes=60)
    assert not pc.poll_due(last_sync=recent, channels_healthy=True, now=NOW, poll_minutes=60)
    old = NOW - timedelta(minutes=60)
    assert pc.poll_due(last_sync=old, channels_healthy=True, now=NOW, poll_minutes=60)
    assert pc.poll_due(last_sync=None, channels_healthy=True, now=NOW, poll_minutes=60)
