from . import (
    calendar_attendee,
    calendar_event,
    calendar_event_google_features,
    calendar_recurrence,
    google_calendar_account,
    google_calendar_account_features,
    google_calendar_outbox,
    google_calendar_synchronizer,
    res_config_settings,
    res_users,
)
