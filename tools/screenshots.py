"""Capture the user journey of the Google button into docs/screenshots/.

Against a running ``make run`` (Odoo next to the local Google fake), in
headless Chromium driven over the DevTools protocol:

    GCS_HTTP_PORT=8069 make run        # in one terminal
    .venv/bin/python tools/screenshots.py --url http://localhost:8069

It logs in (demo / demo by default), connects the Google Calendar through the
fake's consent page if needed, and captures: the Calendar with the Google
button, the success notification, the button's menu, the synchronization
history, the message when Google cannot be reached (the administrator
points the API root at a closed port for a moment, then restores it), a
meeting's sync state, the Calendar on a phone-sized screen, the
administrator's settings block (as is, then with Google Calendar unticked,
unsaved), and a revoked access (the fake's control API revokes the tokens):
the button's message and the "Reconnect Google Calendar" activity's form,
whose Reconnect button then connects again. With Several Calendars per User
turned on (the settings block shows it), the fake gives the user a second
calendar, *Team Projects*: the Google Calendars list with it ticked, then a
meeting made on it on Google, its Google Calendar tab in Odoo.
"""

import argparse
import base64
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import websocket

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
SEVERAL_CALENDARS = "google_calendar_sync.several_calendars"
SECOND_CALENDAR = {"summary": "Team Projects", "color": "#16a765"}


class Browser:
    def __init__(self, chromium, width, height):
        self.profile = tempfile.mkdtemp(prefix="gcs-shots-")
        self.process = subprocess.Popen(  # noqa: S603 - the Chromium of the machine, fixed arguments
            [
                chromium,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                f"--user-data-dir={self.profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = Path(self.profile) / "DevToolsActivePort"
        for _ in range(100):
            if port_file.exists() and port_file.read_text().strip():
                break
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json") as answer:
            page = next(target for target in json.load(answer) if target["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self.next_id = 0

    def send(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def eval(self, expression):
        result = self.send(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def goto(self, url):
        self.send("Page.navigate", url=url)
        # Until the new document has replaced the old one and the web client
        # has started (a click would otherwise land on the previous page).
        time.sleep(2)
        self.wait_for("document.readyState === 'complete'")

    def wait_for(self, expression, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.eval(expression):
                    return
            except RuntimeError:
                pass  # the page is changing
            time.sleep(0.2)
        raise TimeoutError(expression)

    def wait(self, selector, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.eval(f"!!document.querySelector({json.dumps(selector)})"):
                    return
            except RuntimeError:
                pass  # the page is changing
            time.sleep(0.2)
        debug = Path(tempfile.gettempdir()) / "gcs-screenshots-timeout.png"
        debug.write_bytes(base64.b64decode(self.send("Page.captureScreenshot")["data"]))
        raise TimeoutError(f"{selector} did not appear (page as it was: {debug})")

    def click(self, selector):
        self.wait(selector)
        self.eval(f"document.querySelector({json.dumps(selector)}).click()")

    def shot(self, name):
        time.sleep(0.6)  # let animations end
        data = self.send("Page.captureScreenshot", format="png")["data"]
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / name).write_bytes(base64.b64decode(data))
        print(f"  {OUT / name}")

    def shot_of(self, selector, name, margin=16):
        """A capture of the element ``selector`` only. The settings scroll
        inside the page, not the window: the window is made tall enough to
        show the element whole, for the time of the capture."""
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=1280,
            height=2400,
            deviceScaleFactor=1,
            mobile=False,
        )
        time.sleep(0.6)
        box = self.eval(
            f"""(() => {{
                const element = document.querySelector({json.dumps(selector)});
                element.scrollIntoView({{block: "start"}});
                const r = element.getBoundingClientRect();
                return {{x: r.x, y: r.y, width: r.width, height: r.height}};
            }})()"""
        )
        clip = {
            "x": max(box["x"] - margin, 0),
            "y": max(box["y"] - margin, 0),
            "width": box["width"] + 2 * margin,
            "height": box["height"] + 2 * margin,
            "scale": 1,
        }
        data = self.send("Page.captureScreenshot", format="png", clip=clip)["data"]
        self.send("Emulation.clearDeviceMetricsOverride")
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / name).write_bytes(base64.b64decode(data))
        print(f"  {OUT / name}")

    def phone(self, width=390, height=844):
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=2,
            mobile=True,
        )

    def desktop(self):
        """Back to the window's own size, after ``phone``."""
        self.send("Emulation.clearDeviceMetricsOverride")

    def close(self):
        self.ws.close()
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.profile, ignore_errors=True)


def log_in(browser, url, login, password):
    browser.goto(f"{url}/web/session/logout")
    time.sleep(1)
    browser.goto(f"{url}/web/login")
    browser.wait("input[name=login]")
    browser.eval(
        f"""document.querySelector("input[name=login]").value = {json.dumps(login)};
        document.querySelector("input[name=password]").value = {json.dumps(password)};
        document.querySelector("form.oe_login_form").submit()"""
    )
    # Logged in once the login page is left (seconds on a busy machine).
    browser.wait_for("location.pathname !== '/web/login'", timeout=60)


def call(browser, model, method, *args):
    """An ORM call as the logged-in user, from the page."""
    return browser.eval(
        f"""(async () => {{
            const answer = await fetch("/web/dataset/call_kw/{model}/{method}", {{
                method: "POST",
                headers: {{"Content-Type": "application/json"}},
                body: JSON.stringify({{jsonrpc: "2.0", method: "call", params: {{
                    model: {json.dumps(model)}, method: {json.dumps(method)},
                    args: {json.dumps(list(args))}, kwargs: {{}}}}}}),
            }});
            return (await answer.json()).result;
        }})()"""
    )


def unreachable_google(browser, url, login, password, admin):
    """Google unreachable (the API root pointed at a closed port by the
    administrator for a moment): the message the Google button gives."""
    log_in(browser, url, *admin)
    key = "google_calendar_sync.api_root"
    api_root = call(browser, "ir.config_parameter", "get_param", key)
    call(browser, "ir.config_parameter", "set_param", key, "http://127.0.0.1:9")
    try:
        log_in(browser, url, login, password)
        browser.goto(f"{url}/odoo/calendar")
        browser.click(".o_google_calendar_sync_button[data-state=connected]")
        browser.wait(".o_notification .text-danger, .o_notification.border-danger, .o_notification")
        browser.shot("sync-error-unreachable.png")
    finally:
        log_in(browser, url, *admin)
        call(browser, "ir.config_parameter", "set_param", key, api_root)
        log_in(browser, url, login, password)
        browser.goto(f"{url}/odoo/calendar")
        browser.click(".o_google_calendar_sync_button")
        browser.wait(".o_google_calendar_sync_button[data-state=connected]")


def settings(browser, url, admin):
    """The administrator's settings block, with Several Calendars per User
    turned on (the users who connect from then on may choose calendars), then
    the warning when unticking (left unsaved: the page is discarded)."""
    log_in(browser, url, *admin)
    call(browser, "ir.config_parameter", "set_param", SEVERAL_CALENDARS, "True")
    browser.goto(f"{url}/odoo/settings")
    setting = "#google_calendar_sync_setting"
    browser.wait(f"{setting} .o_google_calendar_sync_redirect_uri")
    browser.shot_of(setting, "settings-google-calendar.png")
    browser.click(f"{setting} div[name=google_calendar_sync_enabled] input")
    browser.wait("#google_calendar_sync_clear_warning")
    browser.shot_of(setting, "settings-google-calendar-untick.png")
    browser.click(".o_form_button_cancel")
    browser.wait(f"{setting} div[name=google_calendar_sync_enabled] input:checked")


def fake_control(browser, url, admin, path, payload):
    """A call to the control API of the fake the module points at (its
    API root, read by the administrator)."""
    log_in(browser, url, *admin)
    api_root = call(browser, "ir.config_parameter", "get_param", "google_calendar_sync.api_root")
    request = urllib.request.Request(  # noqa: S310 - the local fake of `make run`
        f"{api_root}/_fake/{path}",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as answer:  # noqa: S310
        answer.read()


def revoked_access(browser, url, login, password, google_email, admin):
    """Access revoked at Google (through the fake's control API): the message
    of the Google button, then the "Reconnect Google Calendar" activity opened
    from the systray, on the user's connection; Reconnect connects again."""
    connected_calendar(browser, url, login, password, google_email)
    for path in ("refresh_tokens/revoke", "access_tokens/expire"):
        fake_control(browser, url, admin, path, {"email": google_email})
    log_in(browser, url, login, password)
    browser.goto(f"{url}/odoo/calendar")
    browser.click(".o_google_calendar_sync_button[data-state=connected]")
    browser.wait(".o_google_calendar_sync_button[data-state=disconnected]")
    browser.wait(".o_notification")
    browser.shot("sync-revoked-access.png")
    browser.eval(
        'document.querySelectorAll(".o_notification_close").forEach((button) => button.click())'
    )
    browser.click(".o_menu_systray button:has(i[aria-label=Activities])")
    browser.click(".o-mail-ActivityGroup[data-model_name='google.calendar.account']")
    browser.wait(".o_google_calendar_sync_account .o-mail-Activity")
    browser.shot("reconnect-google-calendar.png")
    browser.click(".o_google_calendar_sync_account button.o_google_calendar_sync_reconnect")
    consent(browser, google_email)


def consent(browser, google_email):
    """Answer the fake's consent page as ``google_email``; back in Calendar."""
    browser.wait("input[name=email]")
    browser.eval(
        f"""document.querySelector("input[name=email]").value = {json.dumps(google_email)};
        document.getElementById("allow").click()"""
    )
    browser.wait(".o_google_calendar_sync_button[data-state=connected]", timeout=30)
    time.sleep(3)  # the first sync runs by itself


def connected_calendar(browser, url, login, password, google_email):
    """The Calendar as ``login``, connected first if need be."""
    log_in(browser, url, login, password)
    browser.goto(f"{url}/odoo/calendar")
    browser.wait(".o_google_calendar_sync_button")
    time.sleep(1)
    if browser.eval('document.querySelector(".o_google_calendar_sync_button").dataset.state') in (
        "not_connected",
        "disconnected",
    ):
        # To the fake's consent page and back.
        browser.click(".o_google_calendar_sync_button")
        consent(browser, google_email)


def google_calendars(browser, url, login, password, google_email, admin):
    """The user's Google calendars with a second one, *Team Projects* (added
    to the fake user), ticked; then a meeting made on it on Google, its
    Google Calendar tab in Odoo. Needs a connection made while Several
    Calendars per User was on (the grant then covers the calendar list)."""
    fake_control(
        browser, url, admin, "users", {"email": google_email, "calendars": [SECOND_CALENDAR]}
    )
    connected_calendar(browser, url, login, password, google_email)
    # The preferences' "Google Calendars" button: the list read from Google now.
    uid = call(browser, "res.users", "search", [["login", "=", login]])[0]
    action = call(browser, "res.users", "action_google_calendar_choose_calendars", [uid])
    browser.goto(f"{url}/odoo/action-{action['id']}")
    browser.wait(".o_data_row td[name=selected] input")
    toggle = f"""Array.from(document.querySelectorAll(".o_data_row"))
        .find((row) => row.querySelector("td[name=name]").textContent.trim()
                       === {json.dumps(SECOND_CALENDAR["summary"])})
        .querySelector("td[name=selected] input")"""
    if not browser.eval(f"{toggle}.checked"):
        browser.eval(f"{toggle}.click()")
        browser.wait_for(f"{toggle}.checked")
    time.sleep(1)  # saved
    browser.shot("google-calendars-list.png")

    meeting = [["name", "=", "Project review"]]
    if not call(browser, "calendar.event", "search", meeting):
        start = datetime.now(UTC).replace(hour=14, minute=0, second=0, microsecond=0)
        start += timedelta(days=1)
        fake_control(
            browser,
            url,
            admin,
            "events/create",
            {
                "email": google_email,
                "calendar_id": calendar_id(google_email),
                "event": {
                    "summary": "Project review",
                    "start": {"dateTime": start.isoformat()},
                    "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
                },
            },
        )
        log_in(browser, url, login, password)
        browser.goto(f"{url}/odoo/calendar")
        browser.click(".o_google_calendar_sync_button[data-state=connected]")
        browser.wait(".o_notification")
    found = call(browser, "calendar.event", "search", meeting)
    browser.goto(f"{url}/odoo/calendar/{found[0]}")
    browser.click(".o_notebook a[name=google_calendar]")
    browser.wait(".o_notebook div[name=google_calendar_id]")
    browser.shot_of(".o_form_sheet", "meeting-google-calendar-tab.png", margin=4)


def calendar_id(google_email):
    """The id the fake gives the second calendar (fake_google/control_api.py)."""
    slug = SECOND_CALENDAR["summary"].lower().replace(" ", "-")
    return f"{slug}-{google_email.replace('@', '.')}@group.calendar.google.com"


def journey(browser, url, login, password, google_email, admin):
    connected_calendar(browser, url, login, password, google_email)
    browser.shot("calendar-google-button.png")

    browser.click(".o_google_calendar_sync_button[data-state=connected]")
    browser.wait(".o_notification")
    browser.shot("sync-success-notification.png")
    browser.eval(
        'document.querySelectorAll(".o_notification_close").forEach((button) => button.click())'
    )

    browser.click(".o_google_calendar_sync_menu")
    browser.wait(".o_google_calendar_sync_dropdown")
    browser.shot("google-button-menu.png")
    browser.click(".o_google_calendar_sync_dropdown .o_google_calendar_sync_history")
    browser.wait(".o_list_view .o_data_row")
    browser.shot("sync-history.png")

    unreachable_google(browser, url, login, password, admin)

    event_id = browser.eval(
        """(async () => {
            const start = new Date(Date.now() + 2 * 86400000);
            start.setUTCHours(9, 0, 0, 0);
            const stop = new Date(start.getTime() + 3600000);
            const fmt = (d) => d.toISOString().slice(0, 19).replace("T", " ");
            const answer = await fetch("/web/dataset/call_kw/calendar.event/create", {
                method: "POST",
                headers: {"Content-Type": "application/json"},
                body: JSON.stringify({jsonrpc: "2.0", method: "call", params: {
                    model: "calendar.event", method: "create",
                    args: [{name: "Screenshot meeting", start: fmt(start), stop: fmt(stop)}],
                    kwargs: {}}}),
            });
            const result = (await answer.json()).result;
            return Array.isArray(result) ? result[0] : result;
        })()"""
    )
    browser.goto(f"{url}/odoo/calendar/{event_id}")
    browser.wait(".o_google_calendar_sync_state")
    browser.shot("meeting-sync-state.png")

    browser.phone()
    browser.goto(f"{url}/odoo/calendar")
    browser.wait(".o_google_calendar_sync_button")
    browser.shot("calendar-phone.png")
    browser.click(".o_google_calendar_sync_menu")
    browser.wait(".o_google_calendar_sync_dropdown")
    browser.shot("google-button-menu-phone.png")
    browser.desktop()  # the captures that follow are a desktop's


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--login", default="demo")
    parser.add_argument("--password", default="demo")
    parser.add_argument("--google-email", default="demo.google@example.com")
    parser.add_argument("--admin-login", default="admin")
    parser.add_argument("--admin-password", default="admin")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    parser.add_argument(
        "--only-settings", action="store_true", help="capture the settings block only"
    )
    parser.add_argument(
        "--only-reconnect",
        action="store_true",
        help="capture the revoked access and the Reconnect form only (the user connected)",
    )
    parser.add_argument(
        "--only-calendars",
        action="store_true",
        help="capture the settings block, the Google Calendars list and a meeting's "
        "Google Calendar tab only",
    )
    args = parser.parse_args()
    browser = Browser(args.chromium, 1280, 800)
    url, admin = args.url.rstrip("/"), (args.admin_login, args.admin_password)
    user = (args.login, args.password, args.google_email)
    try:
        if args.only_reconnect:
            revoked_access(browser, url, *user, admin)
            return
        settings(browser, url, admin)
        if args.only_settings:
            return
        if not args.only_calendars:
            journey(browser, url, *user, admin)
            revoked_access(browser, url, *user, admin)
        google_calendars(browser, url, *user, admin)
    finally:
        browser.close()


if __name__ == "__main__":
    main()
