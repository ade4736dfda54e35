"""Message templates: text with ``{name}`` placeholders, parsed without ``str.format``.

``str.format`` would follow ``{a.b}`` and ``{a[0]}`` into the parameters and raise
on a missing one; a catalog text comes from plugins too, so kamcore parses it
itself: a placeholder is ``{`` + an identifier + ``}``, ``{{`` and ``}}`` are
literal braces, and any other brace is an error found when the catalog is read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Final

import attrs

from kamcore.errors import KamcoreError

__all__ = ["CatalogError", "Slot", "parse_template", "placeholders", "substitute"]

_TOKEN: Final = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}|[{}]")


class CatalogError(KamcoreError, ValueError):
    """A message catalog is malformed: not ``{language: {key: text}}``, or a text
    with a brace that is neither a ``{name}`` placeholder nor ``{{``/``}}``."""


@attrs.frozen
class Slot:
    """A ``{name}`` placeholder in a parsed template."""

    name: str


@lru_cache(maxsize=4096)
def parse_template(template: str) -> tuple[str | Slot, ...]:
    """*template* as literal text pieces and :class:`Slot` s, in order.

    Raises:
        CatalogError: a brace that is not part of a placeholder or an escape.
    """
    parts: list[str | Slot] = []
    position = 0
    for match in _TOKEN.finditer(template):
        token = match.group(0)
        if token in ("{", "}"):
            raise CatalogError(
                f"unmatched {token!r} at position {match.start()} in {template!r} "
                "(write {{ or }} for a literal brace)"
            )
        parts.append(template[position : match.start()])
        parts.append(Slot(match.group(1)) if match.group(1) else token[0])
        position = match.end()
    parts.append(template[position:])
    return tuple(part for part in parts if part != "")


def placeholders(template: str) -> frozenset[str]:
    """The names of the placeholders of *template*.

    >>> sorted(placeholders("{what} was due {due}; {{literal}}"))
    ['due', 'what']
    """
    return frozenset(part.name for part in parse_template(template) if isinstance(part, Slot))


def substitute(template: str, fill: Callable[[str], str]) -> str:
    """*template* with each placeholder replaced by ``fill(name)``.

    A value that ends with a full stop (a Russian, Ukrainian or Bulgarian date ends
    with the abbreviation of "year") placed right before the template's own full
    stop gives one full stop, not two.
    """
    pieces: list[str] = []
    value_ends_sentence = False
    for part in parse_template(template):
        if isinstance(part, Slot):
            value = fill(part.name)
            pieces.append(value)
            value_ends_sentence = value.endswith(".")
            continue
        pieces.append(part[1:] if value_ends_sentence and part.startswith(".") else part)
        value_ends_sentence = False
    return "".join(pieces)
