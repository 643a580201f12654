"""The synchronization run: plain Python classes over the ORM, used by the
models (``google.calendar.synchronizer``) with sudo, one run per account.

``run.SyncRun`` lists, plans and applies Google's changes, then pushes Odoo's
in batches and handles every write's outcome the same way
(``engine.outcomes``); ``events_pull``/``events_push`` hold what is specific to
single events, ``series``/``series_push`` what is specific to recurring series.
"""
