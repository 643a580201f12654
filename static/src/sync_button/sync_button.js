import { Component, onMounted, onWillStart, useState } from "@odoo/owl";
import { AlertDialog, ConfirmationDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { Dropdown } from "@web/core/dropdown/dropdown";
import { DropdownItem } from "@web/core/dropdown/dropdown_item";
import { _t } from "@web/core/l10n/translation";
import { rpc } from "@web/core/network/rpc";
import { browser } from "@web/core/browser/browser";
import { useService } from "@web/core/utils/hooks";
import { deserializeDateTime } from "@web/core/l10n/dates";

const { DateTime } = luxon;

/**
 * The "Google" button of the Calendar app: shows the user's connection
 * status, syncs on click, and offers Stop / Restart / Disconnect.
 */
export class GoogleCalendarSyncButton extends Component {
    static template = "google_calendar_sync.SyncButton";
    static components = { Dropdown, DropdownItem };
    static props = {
        // Called after a sync that may have changed events, to reload the view.
        onSynced: Function,
    };

    setup() {
        this.dialog = useService("dialog");
        this.notification = useService("notification");
        this.action = useService("action");
        this.state = useState({ status: { state: "not_connected" }, busy: false });
        onWillStart(() => this.refreshStatus());
        onMounted(() => {
            // Just back from Google's consent page: the first sync runs by itself.
            const status = this.state.status;
            if (status.configured && !status.paused && status.state === "connected" && !status.last_sync) {
                this.sync();
            }
        });
    }

    async refreshStatus() {
        this.state.status = await rpc("/google_calendar_sync/status");
    }

    /** The state the button shows: "off" when the integration is not set up. */
    get stateKey() {
        const status = this.state.status;
        if (!status.configured) {
            return "off";
        }
        return status.paused ? "paused" : status.state;
    }

    get statusText() {
        const status = this.state.status;
        switch (this.stateKey) {
            case "off":
                return _t("off");
            case "paused":
                return _t("paused");
            case "connected":
                if (status.last_sync) {
                    const lastSync = deserializeDateTime(status.last_sync);
                    // Clocks of browser and server differ slightly: no "in 2 seconds".
                    if (DateTime.now().diff(lastSync, "minutes").minutes < 1) {
                        return _t("synced just now");
                    }
                    return _t("synced %s", lastSync.toRelative());
                }
                return _t("connected");
            case "stopped":
                return _t("stopped");
            case "error":
                return _t("error");
            case "disconnected":
                return _t("disconnected");
            default:
                return _t("not connected");
        }
    }

    /** The colour of the dot next to the status (the text keeps the body colour). */
    get dotClass() {
        switch (this.stateKey) {
            case "connected":
                return "text-bg-success";
            case "paused":
            case "stopped":
                return "text-bg-warning";
            case "error":
            case "disconnected":
                return "text-bg-danger";
            default:
                return "text-bg-secondary";
        }
    }

    get lastRun() {
        return this.state.status.last_run || false;
    }

    get lastRunWhen() {
        const run = this.lastRun;
        return run ? deserializeDateTime(run.start).toRelative() : "";
    }

    get menuTitle() {
        const status = this.state.status;
        if (!status.configured) {
            return _t("Google Calendar is not set up");
        }
        if (status.email) {
            return _t("Google Calendar of %s", status.email);
        }
        return _t("Google Calendar");
    }

    get hasTokens() {
        return ["connected", "stopped", "error"].includes(this.state.status.state);
    }

    async sync() {
        if (this.state.busy) {
            return;
        }
        this.state.busy = true;
        try {
            const result = await rpc("/google_calendar_sync/sync", {
                return_path: browser.location.pathname,
            });
            await this.handleSyncResult(result);
        } finally {
            this.state.busy = false;
        }
    }

    async handleSyncResult(result) {
        switch (result.status) {
            case "need_auth":
                browser.location.assign(result.url);
                return;
            case "need_config":
                this.askForConfiguration();
                return;
            case "paused":
                this.notification.add(
                    _t("An administrator has paused the Google Calendar synchronization."),
                    { type: "warning" }
                );
                break;
            case "stopped":
                this.notification.add(
                    _t("Your synchronization is stopped: restart it from the arrow next to the Google button."),
                    { type: "warning" }
                );
                break;
            case "synced": {
                await this.props.onSynced();
                const needsLook = result.conflicts || result.errors;
                this.notification.add(result.summary || _t("Synchronized."), {
                    title: _t("Google Calendar"),
                    type: needsLook ? "warning" : "success",
                    buttons: needsLook
                        ? [{ name: _t("See the details"), primary: true, onClick: () => this.openRun(result.history_id) }]
                        : [],
                });
                // Notes that are not about one meeting (e.g. usage limits).
                for (const message of (result.messages || []).filter(Boolean)) {
                    if (!result.errors) {
                        this.notification.add(message, { title: _t("Google Calendar"), type: "info" });
                    }
                }
                break;
            }
            case "deferred":
            case "continuing":
                // Google's request budget, or the time a click may take, ran
                // out: what is done is kept, the rest follows in the background.
                await this.props.onSynced();
                this.notification.add(result.message, { title: _t("Google Calendar"), type: "info" });
                break;
            case "held":
            case "error":
                // The message names Google Calendar itself: no title repeating it.
                this.notification.add(result.message, {
                    type: "danger",
                    buttons: [{ name: _t("History"), onClick: () => this.openHistory() }],
                });
                break;
        }
        await this.refreshStatus();
    }

    askForConfiguration() {
        if (this.state.status.is_admin) {
            this.dialog.add(ConfirmationDialog, {
                title: _t("Google Calendar is not configured"),
                body: _t(
                    "Enter the Client ID and Client Secret of your Google API project in the settings first. Open the settings now?"
                ),
                confirmLabel: _t("Open Settings"),
                confirm: () => this.action.doAction("base_setup.action_general_configuration"),
                cancel: () => {},
            });
        } else {
            this.dialog.add(AlertDialog, {
                title: _t("Google Calendar is not configured"),
                body: _t(
                    "An administrator must set up Google Calendar in the settings before you can synchronize."
                ),
            });
        }
    }

    openHistory() {
        this.action.doAction("google_calendar_sync.action_sync_history_mine");
    }

    openRun(historyId) {
        if (!historyId) {
            return this.openHistory();
        }
        this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "google.calendar.sync.history",
            res_id: historyId,
            views: [[false, "form"]],
            target: "current",
        });
    }

    async stop() {
        this.state.status = await rpc("/google_calendar_sync/stop");
    }

    async restart() {
        this.state.status = await rpc("/google_calendar_sync/restart");
        await this.sync();
    }

    disconnect() {
        this.dialog.add(ConfirmationDialog, {
            title: _t("Disconnect Google Calendar"),
            body: _t(
                "Odoo will give up its access to your Google Calendar and stop synchronizing. Events already synchronized stay in both calendars."
            ),
            confirmLabel: _t("Disconnect"),
            confirm: async () => {
                this.state.status = await rpc("/google_calendar_sync/disconnect");
            },
            cancel: () => {},
        });
    }
}
