"""Plain-Python core of the sync: no Odoo import here or below."""
