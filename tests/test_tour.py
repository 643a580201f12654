from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestTourNeedConfig(HttpCase):
    def test_admin_is_offered_the_settings(self):
        self.start_tour("/odoo/calendar", "google_calendar_sync_need_config", login="admin")
