"""engine.event_features: event types, resources, guest permissions, Meet, reminders."""

from engine import event_features as features
from engine.mapping import from_google


def test_event_types():
    assert features.event_type({"eventType": "birthday"}) == "birthday"
    assert features.event_type({"eventType": ["x"]}) == "default"
    assert features.event_type({"eventType": "somethingNew"}) == "default"
    assert features.is_skipped({"eventType": "workingLocation"})
    assert not features.is_skipped({"id": "x", "status": "cancelled"})
    assert features.writable_keys("outOfOffice", {"name"}) == set()
    assert features.writable_keys("fromGmail", {"name", "alarms"}) == {"alarms"}
    assert features.writable_keys("default", {"name"}) == {"name"}
    assert features.writable_keys("default", None) is None


def test_resources_are_read_apart_and_untrusted():
    item = {
        "attendees": [
            {"email": "Room-1@Resource.Calendar.Google.com", "resource": True, "displayName": "R1"},
            {"email": "ann@example.com", "responseStatus": "accepted"},
            {"email": "javascript:alert(1)", "resource": True},
            {"email": "x@y.z", "resource": "yes"},
            {"email": "proj@example.com", "resource": True, "responseStatus": "bogus"},
        ]
    }
    assert features.resources(item) == [
        {"email": "proj@example.com", "name": "", "status": "needsAction"},
        {"email": "room-1@resource.calendar.google.com", "name": "R1", "status": "needsAction"},
    ]
    assert features.resource_attendees(features.resources(item))[1] == {
        "email": "room-1@resource.calendar.google.com",
        "responseStatus": "needsAction",
        "resource": True,
        "displayName": "R1",
    }
    many = {"attendees": [{"email": f"r{i}@x.com", "resource": True} for i in range(80)]}
    assert len(features.resources(many)) == features.MAX_RESOURCES


def test_permissions_defaults_and_merge():
    assert features.permissions({}) == {
        "guests_can_modify": False,
        "guests_can_invite_others": True,
        "guests_can_see_other_guests": True,
    }
    google = features.permissions({"guestsCanModify": True, "guestsCanInviteOthers": "no"})
    assert google["guests_can_modify"] is True and google["guests_can_invite_others"] is True
    agreed = features.permissions({})
    odoo = {**agreed, "guests_can_see_other_guests": False}
    assert features.merge_permissions(agreed, odoo, google) == (
        {"guests_can_modify": True},
        {"guests_can_see_other_guests"},
    )
    assert features.merge_permissions(None, odoo, agreed) == (
        {"guests_can_see_other_guests": True},
        set(),
    )
    assert features.permissions_to_google(odoo, {"guests_can_see_other_guests"}) == {
        "guestsCanSeeOtherGuests": False
    }


def test_meet_request_and_status():
    assert features.wants_meet({"videocall": "", "location": ""}, enabled=True, opted_out=False)
    for values in ({"videocall": "https://x.example/r"}, {"location": "Room 1"}):
        assert not features.wants_meet(values, enabled=True, opted_out=False)
    assert not features.wants_meet({}, enabled=False, opted_out=False)
    assert not features.wants_meet({}, enabled=True, opted_out=True)
    request = features.meet_request("abc")
    assert request["createRequest"]["conferenceSolutionKey"] == {"type": "hangoutsMeet"}
    pending = {"conferenceData": {"createRequest": {"status": {"statusCode": "pending"}}}}
    assert features.conference_status(pending) == "pending"
    assert features.conference_status({"conferenceData": "x"}) == ""


def test_reminders_limit_and_defaults():
    alarms = [{"method": "popup", "minutes": minutes} for minutes in range(7)]
    assert features.alarms_beyond_limit(alarms) == alarms[5:]
    assert features.google_alarms_as_agreed(alarms, alarms[:5]) == alarms
    assert features.google_alarms_as_agreed(alarms, alarms[:4]) == alarms[:4]
    defaults = [{"method": "popup", "minutes": 10}]
    assert features.reminders_body(defaults, defaults) == {"useDefault": True, "overrides": []}
    body = features.reminders_body(alarms, defaults)
    assert body["useDefault"] is False and len(body["overrides"]) == 5
    assert features.reminders_body([], []) == {"useDefault": False, "overrides": []}


def test_video_link_must_be_https():
    base = {
        "id": "e1",
        "start": {"dateTime": "2030-01-07T10:00:00Z"},
        "end": {"dateTime": "2030-01-07T11:00:00Z"},
    }
    notes = []
    assert (
        from_google({**base, "hangoutLink": "javascript:alert(1)"}, notes=notes)["videocall"] == ""
    )
    assert "https" in notes[0]
    entry = {"entryPoints": [{"entryPointType": "video", "uri": "http://plain.example/x"}]}
    assert from_google({**base, "conferenceData": entry})["videocall"] == ""
