"""Google's push notifications: the public route Google POSTs to."""

from odoo import http
from odoo.http import request

from ..engine.push_channels import NOTIFY_PATH, RESOURCE_STATES


class GoogleCalendarNotifyController(http.Controller):
    # Public: Google calls it without a session. What makes a notification
    # believable is the channel id, its secret token and the resource id
    # Google gave it (google.calendar.channel._authenticate); anything else
    # is answered 404 after one read, with nothing written and no work
    # scheduled. A genuine one only schedules a sync (debounced): the route
    # never calls Google, so no request to it makes Odoo call Google.
    @http.route(
        NOTIFY_PATH,
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def notify(self, **_kwargs):
        headers = request.httprequest.headers
        state = headers.get("X-Goog-Resource-State")
        channel = request.env["google.calendar.channel"]._authenticate(
            headers.get("X-Goog-Channel-ID"),
            headers.get("X-Goog-Channel-Token"),
            headers.get("X-Goog-Resource-ID"),
        )
        if not channel or state not in RESOURCE_STATES:
            return request.make_response(b"", status=404)
        channel._receive(state)
        return request.make_response(b"", status=200)
