"""engine.people: the budget of new contacts of one sync (plain pytest, no ORM)."""

from engine.people import ContactBudget, choose_new_contacts


def test_fewest_new_guests_first_and_shared_addresses_count_once():
    flood = [f"made-up{n}@spam.example" for n in range(50)]
    meetings = [["carol@partner.example"], flood, ["dan@client.example", "carol@partner.example"]]
    chosen = choose_new_contacts(meetings, 4)
    assert chosen == ["carol@partner.example", "dan@client.example", *flood[:2]]


def test_nothing_beyond_the_limit():
    assert choose_new_contacts([["a@x.example", "b@x.example"]], 0) == []
    assert choose_new_contacts([], 10) == []


def test_budget_is_shared_by_the_calls_of_one_sync():
    budget = ContactBudget(limit=3)
    assert budget.take([["a@x.example", "b@x.example"]]) == ["a@x.example", "b@x.example"]
    assert budget.take([["c@x.example", "d@x.example"]]) == ["c@x.example"]
    assert budget.take([["e@x.example"]]) == []
    assert (budget.created, budget.remaining) == (3, 0)
