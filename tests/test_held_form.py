"""Google's values in the form Odoo holds them (CalendarEvent._google_held_form).

The sync compares Google's values with what Odoo holds; a form Odoo would not
store (a description before sanitizing) passes for an edit made on Google.
"""

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.tests import TransactionCase, tagged

from ..engine.mapping import is_plain_text, plain_text_paragraph

# Text as people type it, with the characters the shortcut must refuse mixed in.
_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(string.printable),
        st.sampled_from("éü€中😀ßñ—“”…•→©\u0301\xa0\u200b\u2028\ufeff\ufffe\ue000"),
        st.characters(),
    ),
    min_size=1,
    max_size=120,
)


@tagged("post_install", "-at_install")
class TestHeldForm(TransactionCase):
    def held_by_odoo(self, description):
        """What Odoo's description field stores for ``description``."""
        event = self.env["calendar.event"]
        return str(event._fields["description"].convert_to_cache(description, event))

    @settings(max_examples=400, deadline=None)
    @given(_TEXT)
    def test_plain_text_shortcut_is_what_the_sanitizer_stores(self, text):
        values = self.env["calendar.event"]._google_held_form({"description": text})
        if is_plain_text(text):
            self.assertEqual(values["description"], self.held_by_odoo(plain_text_paragraph(text)))

    def test_plain_text_keeps_its_line_breaks(self):
        Event = self.env["calendar.event"]
        held = Event._google_held_form({"description": "Agenda\n1. budget\n\n2. hiring"})
        self.assertEqual(held["description"], "<p>Agenda<br>1. budget<br><br>2. hiring</p>")
        # Not the shortcut's (an ampersand, a leading space): the sanitizer's.
        text = " Q&A\nAT&T < 5"
        held = Event._google_held_form({"description": text})
        self.assertEqual(held["description"], self.held_by_odoo(plain_text_paragraph(text)))
        self.assertIn("Q&amp;A<br>AT&amp;T &lt; 5", held["description"])

    def test_text_with_entities_is_html(self):
        held = self.env["calendar.event"]._google_held_form({"description": "Tom &amp; Jerry"})
        self.assertEqual(held["description"], "<p>Tom &amp; Jerry</p>")

    def test_plain_text_shortcut_refuses_what_the_sanitizer_changes(self):
        for text in ("a & b", "x <y>", "  lead", "\ufeffmark", "no\xa0break", "\nfirst", "a\rb"):
            self.assertFalse(is_plain_text(text), text)
        for text in ("Agenda", "a\nb", "tail  ", 'Tom\'s "q"', "café 😀", "1.\tbudget\n"):
            self.assertTrue(is_plain_text(text), text)

    def test_markup_goes_through_the_sanitizer(self):
        values = self.env["calendar.event"]._google_held_form(
            {"name": "", "description": "<b>x</b><br>y<script>alert(1)</script>"}
        )
        self.assertEqual(values["description"], self.held_by_odoo("<b>x</b><br>y"))
        self.assertNotIn("script", values["description"])
        self.assertEqual(values["name"], "(no title)")

    def test_description_the_sanitizer_empties_is_none(self):
        values = self.env["calendar.event"]._google_held_form({"description": "<p><br></p>"})
        self.assertEqual(values["description"], "")

    def test_what_odoo_sent_comes_back_unchanged(self):
        # Google keeps the HTML Odoo sends: read back, it must equal what Odoo
        # holds, or the next Google edit would tie with the description.
        for html in (
            "<p>a</p><p>b</p>",
            "<div><p>Organized by</p><br>ann</div>",
            "<p>Tom &amp; Jerry</p>",
            "<ul><li>one</li><li>two</li></ul>",
            '<p><a href="https://meet.example.com/x">Join</a></p>',
            "<p>&nbsp;x</p>",
            "<h1>t</h1>text",
            "<p>é 😀</p>",
        ):
            held = self.held_by_odoo(html)
            values = self.env["calendar.event"]._google_held_form({"description": held})
            self.assertEqual(values["description"], held, html)
