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
            content: "Click Google before any configuration",
            trigger: ".o_google_calendar_sync_button[data-state=not_connected]:contains(not connected)",
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
            trigger: ".o_google_calendar_sync_button[data-state=not_connected]",
            run: "click",
        },
        {
            content: "Told to ask an administrator, with no way into the settings",
            trigger: ".modal:contains(An administrator must set up Google Calendar):not(:has(button:contains(Open Settings)))",
        },
    ],
});
