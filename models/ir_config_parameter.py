from types import MappingProxyType

from odoo import api, models
from odoo.tools import ormcache

from ..sync.run import PARAM_PREFIX

# Read along with the module's own parameters: the redirect URI is built on it.
_OTHER_KEYS = ("web.base.url",)


class IrConfigParameter(models.Model):
    _inherit = "ir.config_parameter"

    @api.model
    def _google_param(self, key, default=False):
        """``get_param`` for this module's system parameters (and ``web.base.url``).

        A sync reads a dozen of them; Odoo caches each, but its cache of system
        parameters is emptied by every parameter written and every module
        installed, and each then costs a query of its own in every Odoo
        process. Here they are read together, in one query, and cached the
        same way (writing a parameter empties this cache too)."""
        if not (key.startswith(PARAM_PREFIX) or key in _OTHER_KEYS):
            raise ValueError(f"{key} is not a parameter of Google Calendar synchronization")
        self.browse().check_access("read")
        return self._google_params().get(key) or default

    @api.model
    @ormcache(cache="stable")
    def _google_params(self):
        self.flush_model(["key", "value"])
        self.env.cr.execute(
            "SELECT key, value FROM ir_config_parameter WHERE key LIKE %s OR key IN %s",
            [PARAM_PREFIX.replace("_", "\\_") + "%", _OTHER_KEYS],
        )
        return MappingProxyType(dict(self.env.cr.fetchall()))
