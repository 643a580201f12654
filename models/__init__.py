from . import (
    calendar_attendee,
    calendar_event,
    calendar_recurrence,
    google_calendar_account,
    google_calendar_claim,
    google_calendar_outbox,
    google_calendar_synchronizer,
    res_config_settings,
    res_users,
)
