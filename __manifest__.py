{
    "name": "Google Calendar Sync",
    "summary": "Two-way synchronization between Google Calendar and Odoo Calendar",
    "version": "19.0.1.2.0",
    "category": "Productivity",
    "license": "LGPL-3",
    "author": "google_calendar_sync developers",
    "website": "https://github.com/google-calendar-sync/google_calendar_sync",
    "depends": ["calendar", "base_setup"],
    # This module replaces Odoo's own Google Calendar integration: with both
    # installed, every event would be synchronized twice.
    "excludes": ["google_calendar", "google_account"],
    "external_dependencies": {"python": ["google-auth", "requests"]},
    "data": [
        "security/ir.model.access.csv",
        "security/ir_rule.xml",
        "data/ir_config_parameter_data.xml",
        "data/ir_cron_data.xml",
        "data/mail_activity_type_data.xml",
        "data/res_partner_category_data.xml",
        "views/calendar_event_views.xml",
        "views/google_calendar_calendar_views.xml",
        "views/oauth_templates.xml",
        "views/res_config_settings_views.xml",
        "views/res_users_views.xml",
        "views/google_calendar_sync_history_views.xml",
        "views/google_calendar_account_views.xml",
    ],
    "uninstall_hook": "uninstall_hook",
    "assets": {
        "web.assets_backend": [
            "google_calendar_sync/static/src/**/*",
        ],
        "web.assets_tests": [
            "google_calendar_sync/static/tests/tours/**/*",
        ],
    },
}
