{
    "name": "Google Calendar Sync",
    "summary": "Two-way synchronization between Google Calendar and Odoo Calendar",
    "version": "19.0.1.0.0",
    "category": "Productivity",
    "license": "LGPL-3",
    "author": "google_calendar_sync developers",
    "website": "https://github.com/google-calendar-sync/google_calendar_sync",
    "depends": ["calendar", "base_setup"],
    # This module replaces Odoo's own Google Calendar integration: with both
    # installed, every event would be synchronized twice.
    "excludes": ["google_calendar", "google_account"],
    "external_dependencies": {"python": ["google-auth", "requests"]},
    "data": [],
}
