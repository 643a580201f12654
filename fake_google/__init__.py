"""A local Google (OAuth 2.0 + Calendar API v3) for tests and demos.

Plain Python with relative imports only: importable as `fake_google` and as
`odoo.addons.google_calendar_sync.fake_google`; it never imports odoo.
"""

from .control import FakeControl
from .server import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FakeGoogle

__all__ = ["DEFAULT_CLIENT_ID", "DEFAULT_CLIENT_SECRET", "FakeControl", "FakeGoogle"]
