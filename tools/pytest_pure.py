"""pytest plugin for `make test-pure` (loaded with -p pytest_pure by tools/test_pure.sh).

tests/pure/ must run without Odoo. The virtualenv puts the Odoo source on the
path (odoo-src.pth), so this plugin takes it off again and makes `import odoo`
fail: a test that needs Odoo errors here instead of passing by accident.
"""

import os
import sys

sys.path[:] = [entry for entry in sys.path if not os.path.isfile(os.path.join(entry, "odoo-bin"))]
sys.modules["odoo"] = None
