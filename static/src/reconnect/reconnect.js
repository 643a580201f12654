import { ActivityMenu } from "@mail/core/web/activity_menu";
import { browser } from "@web/core/browser/browser";
import { _t } from "@web/core/l10n/translation";
import { rpc } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";
import { patch } from "@web/core/utils/patch";

const ACCOUNT_MODEL = "google.calendar.account";

/**
 * Reconnect (the form of the user's connection): the Google button's own
 * route answers a disconnected account with Google's consent page, which
 * comes back to Calendar, where the first synchronization runs by itself.
 */
async function reconnectGoogleCalendar(env) {
    const result = await rpc("/google_calendar_sync/sync", { return_path: "/odoo/calendar" });
    if (result.status === "need_auth") {
        browser.location.assign(result.url);
        return;
    }
    // Connected in the meantime (another tab), or something stands in the way.
    const messages = {
        need_config: _t("An administrator must set up Google Calendar in the settings first."),
        paused: _t("An administrator has paused the Google Calendar synchronization."),
        stopped: _t(
            "Your synchronization is stopped: restart it from the arrow next to the Google button in Calendar."
        ),
    };
    const ok = ["synced", "continuing", "deferred"].includes(result.status);
    env.services.notification.add(
        messages[result.status] || result.summary || result.message || _t("Synchronized."),
        { title: _t("Google Calendar"), type: ok ? "success" : "warning" }
    );
    return "calendar.action_calendar_event";
}

registry.category("actions").add("google_calendar_sync.reconnect", reconnectGoogleCalendar);

/**
 * The activities of the systray: the user's "Reconnect Google Calendar"
 * activity opens the form of their connection, not a list of one record.
 */
patch(ActivityMenu.prototype, {
    openActivityGroup(group, filter = "all", newWindow) {
        if (group.model !== ACCOUNT_MODEL) {
            return super.openActivityGroup(...arguments);
        }
        this.dropdown.close();
        return this.action.doAction("google_calendar_sync.action_my_google_calendar", {
            newWindow,
            clearBreadcrumbs: true,
        });
    },
});
