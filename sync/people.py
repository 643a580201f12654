"""The people Google vouches for: users matched by their connected address.

The address of the Google account a user connected is the one address
Google vouches for (the sync reads it from Google, the user never types
it). A user's Odoo e-mail is no proof: users change it themselves (My
Preferences), so matching it would let anyone take anyone's place in
the meetings imported from Google.
"""

from ..engine.ownership import SYNCING_STATES


def confirmed_people(env, emails):
    """{normalized e-mail: (user id, partner id)} of the ``emails`` that are
    a user's connected Google address. When several users connected the
    same Google account, the one syncing it is taken, then the first."""
    if not emails:
        return {}
    _flush_people(env)
    env.cr.execute(
        """SELECT lower(account.google_email), users.id, users.partner_id
             FROM google_calendar_account AS account
             JOIN res_users AS users ON users.id = account.user_id
            WHERE lower(account.google_email) = ANY(%s)
            ORDER BY account.state IN %s DESC, account.id""",
        [list(emails), SYNCING_STATES],
    )
    people = {}
    for email, user_id, partner_id in env.cr.fetchall():
        people.setdefault(email, (user_id, partner_id))
    return people


def confirmed_addresses(env, user_ids, partner_ids):
    """The connected Google address of each of ``user_ids``, and of each of
    ``partner_ids`` that is a user's partner: ``({user id: e-mail},
    {partner id: e-mail})``, one query."""
    if not (user_ids or partner_ids):
        return {}, {}
    _flush_people(env)
    env.cr.execute(
        """SELECT users.id, users.partner_id, lower(account.google_email)
             FROM google_calendar_account AS account
             JOIN res_users AS users ON users.id = account.user_id
            WHERE account.google_email != ''
              AND (users.id = ANY(%s) OR users.partner_id = ANY(%s))""",
        [list(user_ids), list(partner_ids)],
    )
    by_user, by_partner = {}, {}
    for user_id, partner_id, email in env.cr.fetchall():
        by_user[user_id] = by_partner[partner_id] = email
    return by_user, by_partner


def _flush_people(env):
    env["google.calendar.account"].flush_model(["google_email", "state", "user_id"])
    env["res.users"].flush_model(["partner_id"])
