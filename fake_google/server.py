"""FakeGoogle: the HTTP server, request dispatch, faults, log and persistence."""

import contextlib
import html
import http.server
import json
import os
import socket
import threading
import time
import traceback
import urllib.parse

from . import batch
from .control_api import ControlApi
from .errors import ApiError, DropConnection, OAuthError
from .events_api import CalendarApi, Call, route
from .faults import Faults, Quota, RequestLog, quota_units
from .notifier import Notifier
from .oauth import AuthorizePage, OAuth
from .responses import Response, json_response
from .store import Store

DEFAULT_CLIENT_ID = "fake-client-id.apps.googleusercontent.com"
# A published demo credential, not a secret: the fake only listens on loopback.
DEFAULT_CLIENT_SECRET = "fake-client-secret"  # noqa: S105
API_PREFIX = "/calendar/v3/"


class FakeGoogle:
    """A local Google (OAuth + Calendar v3) on 127.0.0.1; see docs/architecture.md."""

    def __init__(self, port=0, access_token_lifetime=3600, persist_path=None, clients=None):
        self.port = port
        self.persist_path = persist_path
        self.store = Store()
        self.oauth = OAuth(self.store, access_token_lifetime)
        self.notifier = Notifier(self.store)
        self.faults = Faults()
        self.quota = Quota()
        self.log = RequestLog()
        if clients is None:
            # The demo client accepts any loopback redirect URI.
            clients = {DEFAULT_CLIENT_ID: {"secret": DEFAULT_CLIENT_SECRET, "redirect_uris": None}}
        for client_id, spec in clients.items():
            self.oauth.add_client(client_id, spec["secret"], spec.get("redirect_uris"))
        self.api = None
        self.control = ControlApi(self)
        self.url = None
        self._server = None
        self._thread = None
        self._saver = None
        self._dirty = threading.Event()
        self._stopping = threading.Event()

    # ---- life cycle ---------------------------------------------------------

    def start(self):
        if self.persist_path and os.path.exists(self.persist_path):
            with open(self.persist_path, encoding="utf-8") as handle:
                self.store.load_json(json.load(handle))
        self._server = _Server(("127.0.0.1", self.port), _Handler)
        self._server.fake = self
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.api = CalendarApi(self.store, self.notifier, self.url)
        self.notifier.start()
        # shutdown() waits for the serving loop to look up; with the default half
        # second, each stop took 0.5 s, and the tests stop hundreds of fakes.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name="fake-google-http",
            daemon=True,
        )
        self._thread.start()
        if self.persist_path:
            self._stopping.clear()
            self._saver = threading.Thread(
                target=self._save_loop, name="fake-google-saver", daemon=True
            )
            self._saver.start()
        return self

    def stop(self):
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self._server = None
        self.notifier.stop()
        if self._saver is not None:
            self._stopping.set()
            self._saver.join(timeout=10)
            self._saver = None
        if self.persist_path:
            self.save()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # ---- persistence --------------------------------------------------------------

    def mark_dirty(self):
        self._dirty.set()

    def save(self):
        """Write the store to `persist_path` atomically."""
        # Serialized under the lock: the state must not change while it is written out.
        with self.store.lock:
            text = json.dumps(self.store.to_json())
        temporary = self.persist_path + ".tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, self.persist_path)

    def _save_loop(self):
        while not self._stopping.is_set():
            if self._dirty.wait(timeout=0.5):
                self._dirty.clear()
                try:
                    self.save()
                except OSError:
                    # A full disk must not stop the server; the next change retries.
                    traceback.print_exc()

    # ---- dispatch -------------------------------------------------------------------

    def dispatch(self, method, target, headers, body, batch_state=None):
        """Answer one request (or batch part). `headers` has lower-case names."""
        split = urllib.parse.urlsplit(target)
        path = split.path
        query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        if path.startswith("/_fake/"):
            return self.control.handle(method, path, query, body, headers)
        record = {
            "time": time.time(),
            "email": None,
            "client_id": None,
            "method": method,
            "path": path,
            "query": {k: v[-1] if len(v) == 1 else v for k, v in query.items()},
            "operation": _operation(method, path),
            "status": None,
            "send_updates": _send_updates(query),
            "notified": [],
            "batch_part": batch_state is not None,
            "fault": None,
        }
        email = self._peek_email(headers)
        record["email"] = email
        latency, fault = self.faults.pick(method, path, email)
        if latency:
            time.sleep(latency / 1000)
        try:
            if fault is not None and fault.mode == "error":
                record["fault"] = "error"
                response = self._error_response(path, fault.api_error())
            elif fault is not None and fault.mode == "drop":
                record["fault"] = "drop"
                raise DropConnection()
            else:
                response = self._answer(method, path, query, headers, body, record)
                if fault is not None and fault.mode == "slow_answer":
                    # Google applied the request; only its answer is late.
                    record["fault"] = "slow_answer"
                    time.sleep(fault.latency_ms / 1000)
                if fault is not None and fault.mode == "drop_after_apply":
                    record["fault"] = "drop_after_apply"
                    if batch_state is None:
                        raise DropConnection()
                    batch_state["drop"] = True
            record["status"] = response.status
            return response
        finally:
            self.log.add(record)

    def _peek_email(self, headers):
        token = (headers.get("authorization") or "").partition(" ")[2].strip()
        with self.store.lock:
            grant = self.store.access_tokens.get(token)
        return grant["email"] if grant else None

    def _error_response(self, path, error):
        if path in ("/token", "/revoke"):
            return json_response(
                error.status, {"error": error.reason, "error_description": error.message}
            )
        return json_response(error.status, error.body(), error.headers)

    def _answer(self, method, path, query, headers, body, record):
        try:
            if path == "/o/oauth2/v2/auth":
                return self._authorize(method, query, headers, body)
            if path == "/token":
                if method != "POST":
                    return Response(405, {"Allow": "POST"})
                answer = self.oauth.token(_form(headers, body), headers)
                self.mark_dirty()
                return json_response(200, answer, {"Cache-Control": "no-store"})
            if path == "/revoke":
                if method != "POST":
                    return Response(405, {"Allow": "POST"})
                form = _form(headers, body)
                token = form.get("token") or (query.get("token") or [None])[-1]
                self.oauth.revoke(token)
                self.mark_dirty()
                return json_response(200, {})
            if path == "/batch/calendar/v3":
                if method != "POST":
                    return Response(405, {"Allow": "POST"})
                return self._batch(headers, body, record)
            if path.startswith(API_PREFIX):
                return self._calendar(method, path[len(API_PREFIX) :], query, headers, body, record)
            raise ApiError(404, "notFound", "Not Found")
        except OAuthError as error:
            return json_response(error.status, error.body())
        except ApiError as error:
            return json_response(error.status, error.body(), error.headers)

    def _authorize(self, method, query, headers, body):
        params = {k: v[-1] for k, v in query.items()}
        try:
            if method == "GET":
                status, response_headers, page = self.oauth.authorize_page(params)
            elif method == "POST":
                params.update(_form(headers, body))
                status, response_headers, page = self.oauth.consent(params)
                self.mark_dirty()
            else:
                return Response(405, {"Allow": "GET, POST"})
        except AuthorizePage as error:
            page = (
                f"<!DOCTYPE html><html><body><h1>Error {error.status}: {error.error}</h1>"
                f"<p>{html.escape(error.description)}</p></body></html>"
            ).encode()
            return Response(error.status, {"Content-Type": "text/html; charset=utf-8"}, page)
        return Response(status, response_headers, page)

    def _calendar(self, method, subpath, query, headers, body, record):
        operation, args = route(method, subpath)
        email, scope, client_id = self.oauth.authenticate(headers)
        record["client_id"] = client_id
        units = quota_units(method)
        self.quota.check(email, units)
        record["units"] = units
        call = Call(operation, args, query, headers, body, email, scope)
        with self.store.lock:
            status, response_headers, payload = self.api.handle(call)
        record["notified"] = call.notified
        if method != "GET":
            self.mark_dirty()
        return json_response(status, payload, response_headers)

    def _batch(self, headers, body, record):
        parts = batch.parse(headers.get("content-type"), body)
        shared = {
            k: v
            for k, v in headers.items()
            if k in ("authorization", "x-goog-user-project", "user-agent")
        }
        state = {"drop": False}
        results = []
        for part in parts:
            part_headers = dict(shared)
            part_headers.update(part.headers)
            if part.target.startswith(API_PREFIX):
                response = self.dispatch(
                    part.method, part.target, part_headers, part.body, batch_state=state
                )
            else:
                # The Calendar batch route carries Calendar calls only.
                response = json_response(404, ApiError(404, "notFound", "Not Found").body())
            part_response_headers = {
                k: v for k, v in response.headers.items() if k.lower() != "content-length"
            }
            results.append((part, response.status, part_response_headers, response.body))
        if state["drop"]:
            raise DropConnection()
        content_type, payload = batch.render(results)
        record["batch_size"] = len(parts)
        return Response(200, {"Content-Type": content_type}, payload)


def _operation(method, path):
    if path == "/o/oauth2/v2/auth":
        return "oauth.authorize"
    if path in ("/token", "/revoke"):
        return "oauth" + path.replace("/", ".")
    if path == "/batch/calendar/v3":
        return "batch"
    if path.startswith(API_PREFIX):
        try:
            return route(method, path[len(API_PREFIX) :])[0]
        except ApiError:
            return "unknown"
    return "unknown"


def _send_updates(query):
    if "sendUpdates" in query:
        return query["sendUpdates"][-1]
    if "sendNotifications" in query:
        return "all" if query["sendNotifications"][-1].lower() == "true" else "none"
    return None


def _form(headers, body):
    content_type = (headers.get("content-type") or "").lower()
    text = body.decode("utf-8", "replace") if body else ""
    if content_type.startswith("application/json"):
        try:
            parsed = json.loads(text or "{}")
        except ValueError:
            return {}
        return {k: str(v) for k, v in parsed.items()} if isinstance(parsed, dict) else {}
    return {k: v[-1] for k, v in urllib.parse.parse_qs(text, keep_blank_values=True).items()}


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Sync tests fire bursts of parallel requests; the default backlog of 5 is tight.
    request_queue_size = 128


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes; with Nagle's algorithm the body
    # waits for the client's delayed ACK, 40 ms per request on a kept-alive
    # connection.
    disable_nagle_algorithm = True
    server_version = "ESF"
    sys_version = ""

    def log_message(self, *args):
        """Quiet: the fake's own request log is the record."""

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            response = self.server.fake.dispatch(self.command, self.path, headers, body)
        except DropConnection:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        except Exception as exc:  # a bug in the fake must still answer, visibly
            traceback.print_exc()
            error = ApiError(500, "backendError", f"fake_google internal error: {exc!r}")
            response = json_response(500, error.body())
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve
