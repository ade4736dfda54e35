"""mkdocs hook: write the finding-codes page from the installed principles.

Every principle declares the codes it can yield, each with a text of the form
``what it means: what to do`` (``Principle.codes``). This hook puts them on the
page where ``<!-- finding-codes -->`` stands, at every build, so the page lists
exactly the codes that ``kamcore review`` can produce — those of plugins that
are installed where the site is built included — and cannot drift from them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kamcore.review import Principle, installed_principles

PAGE = "finding-codes.md"
MARKER = "<!-- finding-codes -->"


def meaning_and_action(text: str) -> tuple[str, str]:
    """Split a code's text at its last ``": "`` into what it means and what to do.

    A text with no ``": "`` is all meaning; what to do is then left empty.
    """
    meaning, separator, action = text.rpartition(": ")
    if not separator:
        return text, ""
    return meaning, action


def _cell(text: str) -> str:
    """*text* safe inside a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def codes_markdown(principles: Iterable[Principle]) -> str:
    """The Markdown of the finding codes of *principles*: an index, then one section each."""
    principles = sorted(principles, key=lambda principle: principle.name.casefold())
    index = ["| code | principle |", "|---|---|"]
    sections: list[str] = []
    for principle in principles:
        anchor = f"principle-{principle.id}"
        sections.append(f"## {principle.name} (`{principle.id}`) {{#{anchor}}}")
        for code, text in principle.codes.items():
            meaning, action = meaning_and_action(text)
            index.append(f"| [`{code}`](#{code}) | [{_cell(principle.name)}](#{anchor}) |")
            entry = f"### `{code}` {{#{code}}}\n\n**What it means:** {meaning}."
            if action:
                entry += f"\n\n**What to do:** {action}."
            sections.append(entry)
    index[2:] = sorted(index[2:])
    return "\n\n".join(["\n".join(index), *sections]) + "\n"


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    """mkdocs event: fill in the finding-codes page; leave every other page alone."""
    # Imported here so that the tests, which run without the docs extra, can import the module.
    from mkdocs.exceptions import PluginError

    if page.file.src_uri != PAGE:
        return markdown
    if MARKER not in markdown:
        raise PluginError(f"{PAGE} must hold {MARKER} where the codes go")
    return markdown.replace(MARKER, codes_markdown(installed_principles()))
