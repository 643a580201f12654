"""Signed references: how one Odoo database recognises what it wrote on Google.

The module writes, on the Google events it creates, the id of the Odoo record
they are (``extendedProperties.shared``, seen on every guest's copy) and a
digest of what its last write sent (``extendedProperties.private``, on the
writer's copy). Anyone who owns a copy of an event can write these maps too:
a guest, an outsider who sends an invitation, a colleague on his own
calendar. So each value is signed with a key only the database holds, over
the database, the Google id of the event and the value; a value whose
signature does not verify is ignored, as if absent, never an error.

The Google id is part of what is signed so that a signed reference copied
onto another event does not verify there.
"""

import hashlib
import hmac
import uuid

EXT_DB = "odoo_db"  # shared: the UUID of the database that wrote the ids below
EXT_EVENT_ID = "odoo_event_id"  # shared: the calendar.event the event is
EXT_SERIES_ID = "odoo_recurrence_id"  # shared: the calendar.recurrence a series is
EXT_SIGNATURE = "odoo_sig"  # shared: signature of the reference
EXT_SENT = "odoo_sent"  # private: the digest of what the last write sent
EXT_SENT_SIGNATURE = "odoo_sent_sig"  # private: signature of that digest
# private: the etag the write that left the digest was sent over (If-Match), ""
# for an insert; signed with the digest when not empty
EXT_SENT_OVER = "odoo_sent_over"

# 128 bits of an HMAC-SHA256: unguessable, and short next to Google's limit of
# 1,024 characters per extended property value.
_SIGNATURE_LENGTH = 32


def new_google_id():
    """A fresh client-chosen event id (hex digits are base32hex, as Google
    requires): inserting with it is idempotent, a retry meets 409. Ids derived
    from a record instead are :meth:`References.stable_id`."""
    return uuid.uuid4().hex


class References:
    """Signs and verifies the references of the database ``db_uuid``.

    ``secret`` is a value only the database knows (Odoo's ``database.secret``);
    without it, every reference reads as absent.
    """

    def __init__(self, secret, db_uuid):
        self._key = (secret or "").encode()
        self.db_uuid = db_uuid or ""

    def _signature(self, *parts):
        message = "\x1f".join(parts).encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:_SIGNATURE_LENGTH]

    def _verifies(self, signature, *parts):
        return (
            bool(self._key)
            and isinstance(signature, str)
            and hmac.compare_digest(signature, self._signature(*parts))
        )

    def stable_id(self, *parts):
        """A Google event id derived from ``parts``: the same on every attempt, so
        that an insert whose transaction was lost after Google stored it meets
        409 when retried instead of making a twin; and keyed on the secret, so
        that nobody outside can tell it in advance (the database UUID alone is
        readable by every user). Hex digits are base32hex, as Google requires."""
        return hmac.new(
            self._key, "\x1f".join(["id", self.db_uuid, *parts]).encode(), hashlib.sha256
        ).hexdigest()[:32]

    # -- the Odoo record an event is ----------------------------------------------

    def shared_properties(self, key, record_id, google_id):
        """The shared extended properties naming Odoo record ``record_id`` (an
        ``EXT_EVENT_ID`` or ``EXT_SERIES_ID`` ``key``) on Google event ``google_id``."""
        record = str(record_id)
        return {
            EXT_DB: self.db_uuid,
            key: record,
            EXT_SIGNATURE: self._signature("ref", self.db_uuid, key, record, google_id),
        }

    def record_id(self, item, key):
        """The Odoo record id (int) this database signed under ``key`` on the
        Google event ``item``, else None (absent, another database's, or forged)."""
        shared = _properties(item, "shared")
        record = shared.get(key)
        google_id = item.get("id")
        if (
            shared.get(EXT_DB) != self.db_uuid
            or not isinstance(record, str)
            or not record.isdigit()
            or not isinstance(google_id, str)
        ):
            return None
        if not self._verifies(
            shared.get(EXT_SIGNATURE), "ref", self.db_uuid, key, record, google_id
        ):
            return None
        return int(record)

    # -- the digest of what the last write sent -------------------------------------

    def private_properties(self, digest, google_id, over=""):
        """The private extended properties carrying ``digest`` (None: nothing),
        of a write sent over the etag ``over`` (a patch's If-Match)."""
        if not digest:
            return None
        return {
            EXT_SENT: digest,
            # Always written: a patch merges extended properties key by key,
            # and an older write's etag must not stay next to a newer digest.
            EXT_SENT_OVER: over or "",
            EXT_SENT_SIGNATURE: self._signature(
                "sent", self.db_uuid, google_id, digest, *([over] if over else [])
            ),
        }

    def sent_digest(self, item):
        """The digest this database's last write left on ``item``, if it verifies."""
        return self.sent_write(item)[0]

    def sent_write(self, item):
        """(digest, etag it was sent over or "") of this database's last write on
        ``item``, if it verifies; (None, "") otherwise."""
        private = _properties(item, "private")
        digest = private.get(EXT_SENT)
        over = private.get(EXT_SENT_OVER) or ""
        google_id = item.get("id")
        if not isinstance(digest, str) or not isinstance(google_id, str):
            return None, ""
        if not isinstance(over, str) or not self._verifies(
            private.get(EXT_SENT_SIGNATURE),
            "sent",
            self.db_uuid,
            google_id,
            digest,
            *([over] if over else []),
        ):
            return None, ""
        return digest, over


def _properties(item, visibility):
    extended = item.get("extendedProperties") if isinstance(item, dict) else None
    properties = extended.get(visibility) if isinstance(extended, dict) else None
    return properties if isinstance(properties, dict) else {}
