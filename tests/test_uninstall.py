"""Uninstalling the module leaves a working database.

Module operations are forbidden inside Odoo's test transactions, so this test
drives real Odoo processes on a scratch database of its own.
"""

import os
import subprocess
import sys

import odoo
from odoo.tools import config

MODULE = "google_calendar_sync"

CHECK_SCRIPT = f"""
module = env["ir.module.module"].search([("name", "=", "{MODULE}")])
assert module.state == "installed", module.state
module.button_immediate_uninstall()
env.cr.commit()
env.invalidate_all()
module = env["ir.module.module"].search([("name", "=", "{MODULE}")])
assert module.state == "uninstalled", module.state
left = env["ir.model.data"].search_count([("module", "=", "{MODULE}")])
assert left == 0, f"{{left}} records of the module survived"
# Every remaining view must still validate, and the views we extended render.
env["ir.ui.view"].search([])._check_xml()
env["res.config.settings"].get_views([(False, "form")])
env["calendar.event"].get_views([(False, "calendar"), (False, "form"), (False, "list")])
env["res.users"].get_views([(False, "form")])
print("UNINSTALL-CHECK-OK")
"""


def _odoo(command, *args, stdin=None):
    odoo_bin = os.path.join(os.path.dirname(odoo.__path__[0]), "odoo-bin")
    return subprocess.run(
        [sys.executable, odoo_bin, command, "-c", config["config"], *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _psql(sql):
    subprocess.run(["psql", "-q", "-d", "postgres", "-c", sql], check=True, capture_output=True)


def test_uninstall_leaves_no_broken_views():
    scratch = f"{config['db_name'][0]}_uninstall"
    _psql(f'DROP DATABASE IF EXISTS "{scratch}"')
    try:
        install = _odoo("server", "-d", scratch, "-i", MODULE, "--stop-after-init")
        assert install.returncode == 0, install.stderr[-3000:]
        check = _odoo("shell", "-d", scratch, "--no-http", stdin=CHECK_SCRIPT)
        assert "UNINSTALL-CHECK-OK" in check.stdout, check.stdout[-2000:] + check.stderr[-3000:]
    finally:
        _psql(f'DROP DATABASE IF EXISTS "{scratch}"')
