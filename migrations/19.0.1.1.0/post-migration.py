"""Twins of shared meetings (issue 14): the next sync of each account lists its
whole window again, so that it merges the twins an older version left
(``sync.twins``), whether or not those meetings changed since."""


def migrate(cr, version):
    if not version:
        return
    cr.execute("UPDATE google_calendar_account SET sync_token = NULL")
