"""engine.calendars: per-calendar direction, sharing, read-only rules."""

from engine import calendars


def test_read_only_roles_sync_from_google_only_whatever_was_chosen():
    for role in ("reader", "freeBusyReader", "nonsense", None):
        assert calendars.direction(role, calendars.ODOO_TO_GOOGLE) == calendars.GOOGLE_TO_ODOO
        assert calendars.pulls(role, calendars.TWO_WAY)
        assert not calendars.pushes(role, calendars.TWO_WAY)
        assert calendars.edit_refusal(role, calendars.TWO_WAY) == "read_only"
    assert calendars.direction("writer", calendars.ODOO_TO_GOOGLE) == calendars.ODOO_TO_GOOGLE
    assert not calendars.pulls("owner", calendars.ODOO_TO_GOOGLE)
    assert calendars.edit_refusal("owner", calendars.GOOGLE_TO_ODOO) == "from_google"
    assert calendars.edit_refusal("owner", calendars.TWO_WAY) is None
    assert calendars.direction("owner", "bogus") == calendars.TWO_WAY


def test_free_busy_reader_shares_busy_blocks_only():
    assert calendars.share("freeBusyReader", calendars.EVERYTHING) == calendars.BUSY_ONLY
    assert calendars.share("reader", calendars.EVERYTHING) == calendars.EVERYTHING
    assert calendars.share("owner", calendars.BUSY_ONLY) == calendars.BUSY_ONLY


def test_busy_block_keeps_times_and_drops_what_the_meeting_is():
    values = {
        "name": "Board: layoffs",
        "description": "<p>secret</p>",
        "location": "Room 1",
        "attendees": [{"email": "a@example.com", "name": "", "status": "accepted"}],
        "organizer": "boss@example.com",
        "videocall": "https://meet.example/x",
        "privacy": "public",
        "show_as": "free",
        "start": "2030-01-07T10:00:00Z",
        "stop": "2030-01-07T11:00:00Z",
        "allday": False,
        "timezone": "UTC",
        "alarms": [{"method": "popup", "minutes": 10}],
        "recurrence": [],
    }
    block = calendars.busy_block(values, "Busy")
    assert block["name"] == "Busy"
    assert (block["description"], block["location"], block["videocall"]) == ("", "", "")
    assert (block["attendees"], block["organizer"]) == ([], "")
    assert (block["privacy"], block["show_as"]) == ("private", "busy")
    for key in ("start", "stop", "allday", "timezone", "alarms", "recurrence"):
        assert block[key] == values[key]
    assert values["name"] == "Board: layoffs", "the input is left alone"


def _cal(cal_id, **extra):
    return {
        "id": cal_id,
        "primary": False,
        "selected": True,
        "default": False,
        "role": "owner",
        "direction": calendars.TWO_WAY,
        **extra,
    }


def test_new_meetings_go_to_the_default_calendar_when_it_takes_them():
    primary = _cal(1, primary=True)
    assert calendars.calendar_for_new_meeting([primary, _cal(2, default=True)]) == 2
    assert calendars.calendar_for_new_meeting([primary, _cal(2)]) == 1
    for unusable in (
        _cal(2, default=True, selected=False),
        _cal(2, default=True, role="reader"),
        _cal(2, default=True, direction=calendars.GOOGLE_TO_ODOO),
    ):
        assert calendars.calendar_for_new_meeting([primary, unusable]) == 1
    assert calendars.calendar_for_new_meeting([]) is None


def test_moves_need_both_calendars_writable():
    assert calendars.may_move(_cal(1), _cal(2))
    assert not calendars.may_move(_cal(1), _cal(2, role="reader"))
    assert not calendars.may_move(_cal(1, role="reader"), _cal(2))
    assert not calendars.may_move(_cal(1), None)


def test_list_entries_are_read_as_untrusted_input():
    entry = calendars.list_entry(
        {
            "id": "team@group.calendar.google.com",
            "summary": "Team",
            "summaryOverride": "My team",
            "backgroundColor": "#ff7537",
            "accessRole": "writer",
        }
    )
    assert entry == {
        "google_id": "team@group.calendar.google.com",
        "deleted": False,
        "name": "My team",
        "color": "#ff7537",
        "access_role": "writer",
        "primary": False,
    }
    odd = calendars.list_entry(
        {"id": "x", "backgroundColor": "red;}<script>", "accessRole": "god", "primary": "yes"}
    )
    assert (odd["color"], odd["access_role"], odd["primary"]) == (
        calendars.DEFAULT_COLOR,
        "freeBusyReader",
        False,
    )
    assert calendars.list_entry({"id": "x", "deleted": True}) == {
        "google_id": "x",
        "deleted": True,
    }
    for bad in (None, [], {"id": 3}, {"summary": "no id"}, {"id": ""}):
        assert calendars.list_entry(bad) is None
