"""tools/readme.py: README.rst is what the readme/ fragments give (plain pytest, no ORM).

`make test` puts tools/ on the path, so the generator is imported as `readme`.
"""

import ast
import re
import shutil

import pytest

import readme


@pytest.fixture
def manifest():
    return ast.literal_eval((readme.REPO / "__manifest__.py").read_text(encoding="utf-8"))


@pytest.fixture
def fragments_copy(tmp_path):
    """A scratch copy of readme/ a test may break."""
    copy = tmp_path / "readme"
    shutil.copytree(readme.FRAGMENTS_DIR, copy)
    return copy


def test_readme_is_what_the_fragments_give(manifest):
    text, _starts = readme.render(manifest, readme.read_fragments())
    assert readme.README.read_text(encoding="utf-8") == text, "run `make readme`"
    assert readme.rst_problems(text) == ""


def test_sections_follow_oca_order(manifest):
    text, _starts = readme.render(manifest, readme.read_fragments())
    # Top-level sections: a title underlined with "=" of its length, not overlined.
    titles = [
        match.group(2)
        for match in re.finditer(r"(^|\n\n)([^\n=][^\n]*)\n(=+)\n", text)
        if len(match.group(3)) == len(match.group(2))
    ]
    assert titles == [
        "Installation",
        "Configuration",
        "Usage",
        "Development",
        "Known issues / Roadmap",
        "Bug Tracker",
        "Credits",
    ]
    # The two commands come first after the table of contents.
    assert text.index("``make run``") < text.index("``make test``") < text.index("Configuration\n")


def test_a_top_level_heading_in_a_fragment_is_refused(fragments_copy):
    path = fragments_copy / "ROADMAP.rst"
    path.write_text(path.read_text(encoding="utf-8") + "\nLater\n=====\n\nmore\n", encoding="utf-8")
    with pytest.raises(readme.FragmentError, match=r"readme/ROADMAP\.rst:\d+: heading underlined"):
        readme.read_fragments(fragments_copy)


def test_a_file_the_readme_would_not_show_is_refused(fragments_copy):
    (fragments_copy / "SECURITY.rst").write_text("Forgotten.\n", encoding="utf-8")
    with pytest.raises(readme.FragmentError, match=r"readme/SECURITY\.rst: not a fragment"):
        readme.read_fragments(fragments_copy)


def test_broken_markup_is_reported_at_its_fragment_line(manifest, fragments_copy):
    path = fragments_copy / "USAGE.rst"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines.insert(2, "An unclosed `reference here.")
    path.write_text("\n".join(lines), encoding="utf-8")
    text, starts = readme.render(manifest, readme.read_fragments(fragments_copy))
    problems = readme.fragment_lines(readme.rst_problems(text), starts)
    assert "readme/USAGE.rst:3 " in problems
    assert "WARNING" in problems
