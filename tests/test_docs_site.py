"""The documentation site's own machinery: the nav, the finding-codes page, the API reference.

The site itself is built in strict mode by the ``docs`` nox session; these tests
check, without mkdocs, what that build relies on.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
from pathlib import Path
from types import ModuleType

import pytest

from kamcore import hookspecs
from kamcore.review import installed_principles

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
MKDOCS = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")


def hook_module(name: str) -> ModuleType:
    """A build hook of docs/hooks, imported from its file (docs/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        f"docs_hooks_{name}", DOCS / "hooks" / f"{name}.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -------------------------------------------------------------------------------------------------
# Nav
# -------------------------------------------------------------------------------------------------

NAV = MKDOCS.split("\nnav:\n", 1)[1]
NAV_PAGES = re.findall(r"^\s*- (?:[^:\n]+: )?(\S+\.md)\s*$", NAV, re.MULTILINE)


def test_every_nav_entry_is_a_page() -> None:
    assert NAV_PAGES
    missing = [page for page in NAV_PAGES if not (DOCS / page).is_file()]
    assert not missing, f"mkdocs.yml names pages that do not exist: {missing}"


def test_every_page_of_this_site_is_in_the_nav() -> None:
    # Pages that other work adds to the nav when it lands are allowed outside it.
    pending = re.findall(r"^#\s+[^:\n]+: (.+)$", MKDOCS.split("\nnav:\n", 1)[0], re.MULTILINE)
    pending_pages = {page for line in pending for page in line.split(", ")}
    pages = {
        str(path.relative_to(DOCS)) for path in DOCS.rglob("*.md") if "hooks" not in path.parts
    }
    outside = sorted(pages - set(NAV_PAGES) - pending_pages)
    assert not outside, f"pages not in the nav of mkdocs.yml: {outside}"


# -------------------------------------------------------------------------------------------------
# The finding-codes page
# -------------------------------------------------------------------------------------------------

finding_codes = hook_module("finding_codes")


def test_the_page_holds_the_marker_the_hook_replaces() -> None:
    assert finding_codes.MARKER in (DOCS / finding_codes.PAGE).read_text(encoding="utf-8")


def test_every_code_of_every_installed_principle_is_on_the_page() -> None:
    principles = installed_principles()
    markdown = finding_codes.codes_markdown(principles)
    for principle in principles:
        assert f"## {principle.name} (`{principle.id}`)" in markdown
        for code, text in principle.codes.items():
            assert f"### `{code}` {{#{code}}}" in markdown
            assert f"| [`{code}`](#{code}) |" in markdown
            meaning, action = finding_codes.meaning_and_action(text)
            assert f"**What it means:** {meaning}." in markdown
            assert action, f"{principle.id}.{code}: say what to do after ': '"
            assert f"**What to do:** {action}." in markdown


def test_a_code_text_splits_at_its_last_colon() -> None:
    split = finding_codes.meaning_and_action
    assert split("late: a step overdue: move it on") == ("late: a step overdue", "move it on")
    assert split("nothing to do here") == ("nothing to do here", "")


# -------------------------------------------------------------------------------------------------
# The API reference reads reST touches as Markdown
# -------------------------------------------------------------------------------------------------

# griffe comes with the docs extra, which the tests session does not install.


def test_roles_become_inline_code() -> None:
    pytest.importorskip("griffe")
    griffe_roles = hook_module("griffe_roles")
    text = "See :class:`Agenda`, :func:`~kamcore.review.review` and :data:`kamcore.hookimpl`."
    assert griffe_roles.plain_roles(text) == "See `Agenda`, `review` and `kamcore.hookimpl`."


@pytest.mark.parametrize("name", ["kamcore_load_portfolio", "kamcore_push_actions"])
def test_hook_fields_become_google_sections(name: str) -> None:
    griffe = pytest.importorskip("griffe")
    griffe_roles = hook_module("griffe_roles")
    text = griffe_roles.markdown_docstring(inspect.getdoc(getattr(hookspecs, name)))
    kinds = [section.kind.value for section in griffe.Docstring(text).parse("google")]
    assert "parameters" in kinds
    assert "returns" in kinds
    assert ":param" not in text
