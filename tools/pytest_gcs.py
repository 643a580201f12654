"""pytest plugin for the suite (loaded with -p pytest_gcs by tools/test.sh).

It lives outside tests/ because pytest would import a tests/conftest.py under
the folder's plain name, and Odoo refuses models imported outside odoo.addons.
"""

import re

import pytest

# Odoo skips a browser tour, with only a warning, when it cannot drive a
# browser. A skipped tour proves nothing, so it fails the run instead.
_BROWSER_SKIP = re.compile(r"chrome|chromium|websocket|devtools|browser", re.IGNORECASE)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and _BROWSER_SKIP.search(str(report.longrepr)):
        report.outcome = "failed"
        report.longrepr = f"browser test could not run (refusing to skip): {report.longrepr}"
