import { registry } from "@web/core/registry";

/**
 * The journey of the documentation: Settings, tick Google Calendar, paste the
 * client credentials, save, open Calendar, click Google. The browser then
 * leaves for Google's consent page (the local fake, another origin: the test
 * answers it) and comes back to Calendar, where the first sync runs.
 */
registry.category("web_tour.tours").add("google_calendar_sync_connect", {
    steps: () => [
        {
            content: "Tick Google Calendar under Integrations",
            trigger: "#google_calendar_sync_setting div[name=google_calendar_sync_enabled] input",
            run: "click",
        },
        {
            content: "Paste the Client ID",
            trigger: "#google_calendar_sync_setting div[name=google_calendar_client_id] input",
            run: "edit odoo-tour-client",
        },
        {
            content: "Paste the Client Secret",
            trigger: "#google_calendar_sync_setting div[name=google_calendar_client_secret] input",
            run: "edit odoo-tour-secret",
        },
        {
            content: "The redirect URI to give Google is shown",
            trigger:
                "#google_calendar_sync_setting div[name=google_calendar_redirect_uri]:contains(/google_account/authentication)",
        },
        {
            content: "Save the settings",
            trigger: ".o_form_button_save",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Saved: the box stays ticked",
            trigger: "#google_calendar_sync_setting div[name=google_calendar_sync_enabled] input:checked",
        },
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open Calendar",
            trigger: ".o_app[data-menu-xmlid='calendar.mail_menu_calendar']",
            run: "click",
        },
        {
            content: "Click Google: not connected yet, so the browser goes to Google",
            trigger: ".o_google_calendar_sync_button[data-state=not_connected]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Back in Calendar after consent: the first sync ran",
            trigger:
                ".o_calendar_container .o_google_calendar_sync_button[data-state=connected] .o_google_calendar_sync_status:contains(synced)",
        },
    ],
});

/** Not configured yet: an administrator clicking Google is offered the settings. */
registry.category("web_tour.tours").add("google_calendar_sync_need_config", {
    steps: () => [
        {
            content: "Click Google before any configuration: the integration reads off",
            trigger: ".o_google_calendar_sync_button[data-state=off]:contains(off)",
            run: "click",
        },
        {
            content: "Accept to open the settings",
            trigger: ".modal-footer button.btn-primary:contains(Open Settings)",
            run: "click",
        },
        {
            content: "The settings show the Google Calendar box",
            trigger: "#google_calendar_sync_setting div[name=google_calendar_sync_enabled] input",
        },
    ],
});

/** Not configured yet: a user who is not an administrator is told to ask one. */
registry.category("web_tour.tours").add("google_calendar_sync_need_config_user", {
    steps: () => [
        {
            content: "Click Google before any configuration",
            trigger: ".o_google_calendar_sync_button[data-state=off]",
            run: "click",
        },
        {
            content: "Told to ask an administrator, with no way into the settings",
            trigger: ".modal:contains(An administrator must set up Google Calendar):not(:has(button:contains(Open Settings)))",
        },
    ],
});

/** Connected: the split button's menu tells the last sync and opens the history. */
registry.category("web_tour.tours").add("google_calendar_sync_split_button", {
    steps: () => [
        {
            content: "The Google button reads synced, with a visible arrow next to it",
            trigger:
                ".o_google_calendar_sync_button[data-state=connected]:contains(synced) + .o_google_calendar_sync_menu .fa-caret-down",
        },
        {
            content: "Open the menu",
            trigger: ".o_google_calendar_sync_menu",
            run: "click",
        },
        {
            content: "The menu tells the last synchronization and what moved",
            trigger:
                ".o_google_calendar_sync_dropdown .o_google_calendar_sync_last_run:contains(Last synchronization):contains(Synchronized)",
        },
        {
            content: "Open the history",
            trigger: ".o_google_calendar_sync_dropdown .o_google_calendar_sync_history",
            run: "click",
        },
        {
            content: "The history lists the run",
            trigger: ".o_list_view .o_data_row td[name=status]:contains(Synchronized)",
        },
    ],
});

/** A click on Google: the notification tells what moved each way. */
registry.category("web_tour.tours").add("google_calendar_sync_success", {
    steps: () => [
        {
            content: "Click Google",
            trigger: ".o_google_calendar_sync_button[data-state=connected]",
            run: "click",
        },
        {
            content: "Told what moved each way",
            trigger: ".o_notification:contains(Synchronized: 1 change(s) from Google, 1 sent to Google)",
        },
        {
            content: "The meeting from Google is in the calendar",
            trigger: ".o_calendar_renderer .fc-event:contains(From Google)",
        },
    ],
});

/** Google unreachable: a plain message within seconds, no long spinner. */
registry.category("web_tour.tours").add("google_calendar_sync_unreachable", {
    steps: () => [
        {
            content: "Click Google",
            trigger: ".o_google_calendar_sync_button[data-state=connected]",
            run: "click",
        },
        {
            content: "Told plainly, within seconds, that nothing is lost",
            trigger: ".o_notification:contains(could not be reached):contains(Nothing is lost)",
            timeout: 8000,
        },
        {
            content: "The button is usable again and reads error",
            trigger: ".o_google_calendar_sync_button[data-state=error]:not([disabled]):contains(error)",
        },
    ],
});

/** A meeting waiting for Google: its state on the form, and Synchronize now. */
registry.category("web_tour.tours").add("google_calendar_sync_meeting_state", {
    steps: () => [
        {
            content: "The meeting waits to be sent to Google",
            trigger: ".o_google_calendar_sync_state:contains(Waiting to be sent to Google)",
        },
        {
            content: "Synchronize now",
            trigger: ".o_google_calendar_sync_state button[name=action_google_sync_now]",
            run: "click",
        },
        {
            content: "Told it was sent",
            trigger: ".o_notification:contains(1 sent to Google)",
        },
        {
            content: "The meeting is synced",
            trigger: ".o_google_calendar_sync_state:contains(Synced with Google)",
        },
    ],
});

/**
 * The settings block on `make run`'s demo: the Redirect URI whole, the note
 * that the client is the local stand-in's, and the warning when unticking.
 */
registry.category("web_tour.tours").add("google_calendar_sync_settings", {
    steps: () => [
        {
            content: "The Redirect URI is shown whole, not cut with an ellipsis",
            trigger:
                "#google_calendar_sync_setting .o_google_calendar_sync_redirect_uri span:first-child:contains(/google_account/authentication)",
            run() {
                const uri = this.anchor;
                if (uri.scrollWidth > uri.clientWidth + 1) {
                    throw new Error(
                        `Redirect URI cut: ${uri.scrollWidth}px of text in ${uri.clientWidth}px`
                    );
                }
            },
        },
        {
            content: "A note says the client is the demo client of a stand-in on this machine",
            trigger:
                "#google_calendar_sync_stand_in_note:contains(stand-in for Google on this machine):contains(127.0.0.1:8765)",
        },
        {
            content: "No warning while the box is ticked",
            trigger:
                "#google_calendar_sync_setting:not(:has(#google_calendar_sync_clear_warning))",
        },
        {
            content: "Untick Google Calendar",
            trigger: "#google_calendar_sync_setting div[name=google_calendar_sync_enabled] input:checked",
            run: "click",
        },
        {
            content: "Warned before saving: the credentials go, the users' connections stay",
            trigger:
                "#google_calendar_sync_clear_warning:contains(Saving clears the Client ID and the Client Secret):contains(connections are kept)",
        },
        {
            content: "Discard",
            trigger: ".o_form_button_cancel",
            run: "click",
        },
        {
            content: "Discarded: ticked again, no warning",
            trigger:
                "#google_calendar_sync_setting:not(:has(#google_calendar_sync_clear_warning)) div[name=google_calendar_sync_enabled] input:checked",
        },
    ],
});

/**
 * Access revoked at Google: the Google button says so once, the activity
 * menu leads to the user's connection, whose Reconnect button goes through
 * Google's consent (answered by the test) and back to a synced Calendar.
 */
registry.category("web_tour.tours").add("google_calendar_sync_reconnect", {
    steps: () => [
        {
            content: "Click Google",
            trigger: ".o_google_calendar_sync_button[data-state=connected]",
            run: "click",
        },
        {
            content: "Told that Google refused the access, and that nothing is lost",
            trigger: ".o_notification:contains(connect again):contains(Nothing is lost)",
        },
        {
            content: "The button reads disconnected",
            trigger: ".o_google_calendar_sync_button[data-state=disconnected]:not([disabled])",
        },
        {
            content: "Open the activities of the systray",
            trigger: ".o_menu_systray button:has(i[aria-label=Activities])",
            run: "click",
        },
        {
            content: "The Reconnect activity is under Google Calendar",
            trigger: ".o-mail-ActivityGroup[data-model_name='google.calendar.account']",
            run: "click",
        },
        {
            content: "The form of the connection tells what happened",
            trigger:
                ".o_form_view.o_google_calendar_sync_account .alert-warning:contains(Nothing is lost)",
        },
        {
            content: "The activity is shown on the connection",
            trigger: ".o_google_calendar_sync_account .o-mail-Activity:contains(Reconnect Google Calendar)",
        },
        {
            content: "Reconnect: the browser goes to Google's consent page",
            trigger: ".o_google_calendar_sync_account button.o_google_calendar_sync_reconnect",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Back in Calendar after consent: the synchronization ran",
            trigger:
                ".o_calendar_container .o_google_calendar_sync_button[data-state=connected] .o_google_calendar_sync_status:contains(synced)",
        },
    ],
});

/**
 * A click whose time budget runs out before Google's listing ends: the user
 * is told at once that the rest continues in the background.
 */
registry.category("web_tour.tours").add("google_calendar_sync_continuing", {
    steps: () => [
        {
            content: "Click Google",
            trigger: ".o_google_calendar_sync_button[data-state=connected]",
            run: "click",
        },
        {
            content: "Told within seconds that the rest continues in the background",
            trigger:
                ".o_notification:contains(imported so far):contains(the rest continues in the background)",
            timeout: 5000,
        },
        {
            content: "The button is usable again: no spinner",
            trigger:
                ".o_google_calendar_sync_button[data-state=connected]:not([disabled]):not(:has(.fa-spin))",
        },
        {
            content: "The meetings imported so far are in the calendar",
            trigger: ".o_calendar_renderer .fc-event:contains(Imported)",
        },
    ],
});
