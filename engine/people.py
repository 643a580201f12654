"""Guests of Google events as Odoo contacts: how many new ones a sync may create.

Pure functions and one small state object. A guest list comes from whoever sent
the invitation: one invitation naming hundreds of made-up addresses must not
fill the contact book. Guests that match an Odoo person cost nothing; each one
that needs a new contact takes one from the sync's budget, and the guests left
without one stay on Google (see docs/architecture.md, "The neutral event").
"""

# A sync meets the new guests of the meetings changed since the last one: a
# handful, most of them already contacts. A hundred covers a busy week of new
# external guests and the first import of most calendars (ordinary meetings go
# first, see choose_new_contacts), while one invitation can add no more than that
# to the contact book per sync.
DEFAULT_MAX_NEW_CONTACTS = 100


class ContactBudget:
    """The new contacts one sync may still create.

    ``limit`` may be left ``None`` until a contact is first needed, so that a
    sync creating none never reads its setting. ``messages`` is the list the
    sync tells its user through; ``told`` says whether running short was told
    there already (once per sync).
    """

    def __init__(self, limit=None, messages=None):
        self.limit = limit
        self.created = 0
        self.messages = messages
        self.told = False

    @property
    def remaining(self):
        return max(0, (self.limit or 0) - self.created)

    def take(self, missing_by_event):
        """The addresses to create contacts for now, charged to the budget;
        see :func:`choose_new_contacts`."""
        chosen = choose_new_contacts(missing_by_event, self.remaining)
        self.created += len(chosen)
        return chosen


def choose_new_contacts(missing_by_event, limit):
    """Which guests get a new contact, at most ``limit`` of them.

    ``missing_by_event`` holds, per event, the addresses of its guests that match
    no one in Odoo. The events with the fewest such guests go first, so that
    ordinary meetings get their guests and an invitation with a flood of
    unknown addresses is the one cut short. An address several events share
    counts once. Returns a list, in the order chosen.
    """
    chosen = {}
    for missing in sorted(missing_by_event, key=lambda emails: len(set(emails))):
        for email in missing:
            if email in chosen:
                continue
            if len(chosen) >= limit:
                return list(chosen)
            chosen[email] = True
    return list(chosen)
