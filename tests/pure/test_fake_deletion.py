"""Deletion on the fake: soft delete, tombstones, 410 on a second delete."""

import fake_fixtures
from fake_fixtures import timed

fake, ctl, alice = fake_fixtures.fake, fake_fixtures.ctl, fake_fixtures.alice
EVENTS = "calendars/primary/events"


def test_delete_is_soft_and_get_still_answers(ctl, alice):
    created = alice("POST", EVENTS, json=timed("bye", location="here")).json()
    _items, token, _pages = alice.list_all()
    deleted = alice("DELETE", f"{EVENTS}/{created['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    fetched = alice("GET", f"{EVENTS}/{created['id']}").json()
    assert fetched["status"] == "cancelled" and fetched["summary"] == "bye"
    changes, _t, _p = alice.list_all(syncToken=token)
    assert [(c["id"], c["status"]) for c in changes] == [(created["id"], "cancelled")]
    assert "summary" not in changes[0] and "start" not in changes[0]
    assert alice.list_all()[0] == []
    stored = ctl.events("alice@example.com")
    assert [(e["id"], e["status"]) for e in stored] == [(created["id"], "cancelled")]
    assert ctl.events("alice@example.com", include_deleted=False) == []


def test_second_delete_is_410_and_unknown_is_404(alice):
    created = alice("POST", EVENTS, json=timed("bye")).json()
    assert alice("DELETE", f"{EVENTS}/{created['id']}").status_code == 204
    again = alice("DELETE", f"{EVENTS}/{created['id']}")
    assert again.status_code == 410
    assert again.json()["error"]["errors"][0]["reason"] == "deleted"
    unknown = alice("DELETE", f"{EVENTS}/abcdef12345")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["errors"][0]["reason"] == "notFound"


def test_full_sync_after_delete_with_show_deleted(alice):
    created = alice("POST", EVENTS, json=timed("bye")).json()
    alice("DELETE", f"{EVENTS}/{created['id']}")
    items, _t, _p = alice.list_all(showDeleted="true")
    assert [(i["id"], i["status"]) for i in items] == [(created["id"], "cancelled")]
