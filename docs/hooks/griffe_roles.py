"""Griffe extension: read kamcore's reST touches in docstrings the way the site renders Markdown.

kamcore's docstrings are Google style, with three habits from Sphinx that read
well in ``help()`` but mean nothing to Markdown:

- cross-reference roles, ``:class:`Agenda``` or ``:func:`~kamcore.review.review```:
  they become inline code with the name as the reader would write it (``~``
  keeps the last component only, as in Sphinx);
- the hook specifications' fields, ``:param name:``, ``:return:`` and
  ``:raises Error:`` (``tests/test_hookspecs.py`` asks for them): they become the
  Google sections ``Args:``, ``Returns:`` and ``Raises:``, so the hook reference
  shows tables, and the text after them stays where it was (griffe's Sphinx
  parser would drop it);
- a paragraph ending in ``::`` before a literal block: it ends in ``:``, as
  Sphinx prints it; the indented block is already a Markdown code block.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:class|func|meth|attr|mod|data|exc|obj):`(?P<tilde>~?)(?P<target>[^`]+)`")
_FIELD = re.compile(
    r"^:(?P<kind>param|return|returns|raises)(?: (?P<name>[^:]+))?:\s*(?P<text>.*)$"
)
_SECTION = {"param": "Args:", "return": "Returns:", "returns": "Returns:", "raises": "Raises:"}
_INDENT = "    "


def _as_code(match: re.Match[str]) -> str:
    target = match["target"]
    return f"`{target.rsplit('.', 1)[-1] if match['tilde'] else target}`"


def plain_roles(text: str) -> str:
    """*text* with every Sphinx cross-reference role turned into inline code."""
    return _ROLE.sub(_as_code, text)


def google_sections(text: str) -> str:
    """*text* with Sphinx ``:param:``/``:return:``/``:raises:`` fields as Google sections."""
    lines: list[str] = []
    section: str | None = None  # the Google section the previous field opened
    for line in text.splitlines():
        field = _FIELD.match(line)
        if field:
            header = _SECTION[field["kind"]]
            if header != section:
                if lines and lines[-1].strip():
                    lines.append("")  # griffe opens a section only after a blank line
                lines.append(header)
                section = header
            entry = f"{field['name']}: {field['text']}" if field["name"] else field["text"]
            lines.append(_INDENT + entry)
        elif section and line.startswith(" "):
            lines.append(_INDENT + line)  # a field's continuation line
        else:
            section = None if line.strip() or section is None else section
            lines.append(line)
    return "\n".join(lines)


def markdown_docstring(text: str) -> str:
    """*text* as the site's Markdown should read it (see the module's docstring)."""
    return google_sections(plain_roles(text)).replace("::\n\n", ":\n\n")


class SphinxTouchesAsMarkdown(griffe.Extension):
    """Rewrite each docstring once the object tree is complete, before rendering."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Rewrite *obj*'s docstring, if it has one."""
        if obj.docstring is not None:
            obj.docstring.value = markdown_docstring(obj.docstring.value)

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Rewrite the docstring of a top-level package, which ``on_object`` does not see."""
        self.on_object(obj=pkg)
