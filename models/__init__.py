from . import (
    calendar_attendee,
    calendar_event,
    calendar_event_sync_state,
    calendar_recurrence,
    google_calendar_account,
    google_calendar_account_run,
    google_calendar_outbox,
    google_calendar_sync_history,
    google_calendar_synchronizer,
    res_config_settings,
    res_users,
)
