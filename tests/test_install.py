from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    def test_module_installed_with_calendar(self):
        modules = self.env["ir.module.module"].search(
            [("name", "in", ("google_calendar_sync", "calendar", "base_setup"))]
        )
        self.assertEqual(
            {m.name: m.state for m in modules},
            {
                "google_calendar_sync": "installed",
                "calendar": "installed",
                "base_setup": "installed",
            },
        )

    def test_odoo_google_modules_are_excluded(self):
        ours = self.env["ir.module.module"].search([("name", "=", "google_calendar_sync")])
        self.assertEqual(
            set(ours.exclusion_ids.mapped("name")), {"google_calendar", "google_account"}
        )
        google_calendar = self.env["ir.module.module"].search([("name", "=", "google_calendar")])
        self.assertEqual(google_calendar.state, "uninstalled")
        # As in the Apps screen: the refused install leaves nothing behind.
        with self.assertRaisesRegex(UserError, "incompatible"), self.env.cr.savepoint():
            google_calendar.button_install()
        self.env.invalidate_all()
        self.assertEqual(google_calendar.state, "uninstalled")
