"""The "Reconnect Google Calendar" activity moves from the user's contact to
their Google Calendar connection (issue 19): clicked in the activity menu, it
opens the form with the Reconnect button. One open activity per user is kept,
the oldest; the others were duplicates."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    move_reconnect_activities(env)


def move_reconnect_activities(env):
    activity_type = env.ref(
        "google_calendar_sync.mail_activity_type_reconnect", raise_if_not_found=False
    )
    if not activity_type:
        return
    Account = env["google.calendar.account"].with_context(active_test=False)
    activities = env["mail.activity"].search(
        [("activity_type_id", "=", activity_type.id)], order="id"
    )
    account_model = env["ir.model"]._get_id(Account._name)
    kept_users = set()
    duplicates = env["mail.activity"]
    for activity in activities:
        account = Account.search([("user_id", "=", activity.user_id.id)], limit=1)
        if not account or activity.user_id.id in kept_users:
            duplicates |= activity
            continue
        kept_users.add(activity.user_id.id)
        if (activity.res_model, activity.res_id) != (Account._name, account.id):
            activity.write({"res_model_id": account_model, "res_id": account.id})
    duplicates.unlink()
