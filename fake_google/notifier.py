"""Push notifications: POSTs to watch channels' addresses, off the request path.

Notifications go out from one background thread, so a receiver that calls
back into the fake never deadlocks it. Changes coalesce: while an `exists`
notification for a channel waits to be sent, further changes add nothing.
"""

import email.utils
import queue
import threading
import time
import urllib.error
import urllib.request


class Notifier:
    def __init__(self, store):
        self.store = store
        self._queue = queue.Queue()
        self._pending = set()
        self._lock = threading.Lock()
        self._thread = None
        self.deliveries = []

    def start(self):
        self._thread = threading.Thread(target=self._run, name="fake-google-notifier", daemon=True)
        self._thread.start()

    def stop(self):
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    def clear(self):
        with self._lock:
            self._pending.clear()
            self.deliveries = []

    def calendar_changed(self, calendar):
        now_ms = time.time() * 1000
        for channel in list(self.store.channels.values()):
            if (
                channel["owner"] == calendar.owner
                and channel["calendar"] == calendar.id
                and channel["expiration"] > now_ms
            ):
                self.send(channel, "exists")

    def send(self, channel, state):
        with self._lock:
            if state == "exists":
                if channel["id"] in self._pending:
                    return
                self._pending.add(channel["id"])
        self._queue.put((channel["id"], state))

    def idle(self):
        """True when nothing waits to be delivered."""
        return self._queue.unfinished_tasks == 0

    def _run(self):
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                self._deliver(*item)
            finally:
                self._queue.task_done()

    def _deliver(self, channel_id, state):
        with self._lock:
            self._pending.discard(channel_id)
        with self.store.lock:
            channel = self.store.channels.get(channel_id)
            if channel is None:
                return
            if state == "sync":
                channel["message_number"] = 1
            else:
                channel["message_number"] += 1
            channel = dict(channel)
        headers = {
            "X-Goog-Channel-ID": channel["id"],
            "X-Goog-Channel-Expiration": email.utils.formatdate(
                channel["expiration"] / 1000, usegmt=True
            ),
            "X-Goog-Resource-ID": channel["resourceId"],
            "X-Goog-Resource-URI": channel["resourceUri"],
            "X-Goog-Resource-State": state,
            "X-Goog-Message-Number": str(channel["message_number"]),
            "Content-Length": "0",
        }
        if channel.get("token") is not None:
            headers["X-Goog-Channel-Token"] = channel["token"]
        outcome = {
            "channel_id": channel["id"],
            "state": state,
            "address": channel["address"],
            "message_number": channel["message_number"],
            "owner": channel["owner"],
            "calendar": channel["calendar"],
        }
        # The address was checked at watch time: https, or http on loopback.
        request = urllib.request.Request(  # noqa: S310
            channel["address"], data=b"", headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                outcome["status"] = response.status
        except urllib.error.HTTPError as exc:
            outcome["status"] = exc.code
        except (OSError, ValueError) as exc:
            outcome["status"] = None
            outcome["error"] = str(exc)
        with self._lock:
            self.deliveries.append(outcome)
