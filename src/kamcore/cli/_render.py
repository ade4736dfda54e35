"""Plain-text tables that stay aligned whatever the script of the text in them, and
JSON written a block at a time."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Final, Literal

import attrs

__all__ = [
    "Align",
    "JsonArray",
    "JsonObject",
    "cell",
    "display_width",
    "json_blocks",
    "pad",
    "table",
]

Align = Literal["left", "right"]

JSON_BLOCK: Final = 1 << 16
"""About how many characters of JSON :func:`json_blocks` hands on at a time."""
_INDENT: Final = "  "
_ENCODER: Final = json.JSONEncoder(ensure_ascii=False, indent=len(_INDENT))

_ZERO_WIDTH_CATEGORIES = frozenset({"Mn", "Me", "Cf"})


def cell(text: str) -> str:
    """*text* made safe for one table cell: control characters become spaces."""
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)


def _char_width(ch: str) -> int:
    if unicodedata.category(ch) in _ZERO_WIDTH_CATEGORIES:
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def display_width(text: str) -> int:
    """How many terminal columns *text* takes: wide and full-width characters
    (CJK ideographs, kana, hangul, full-width forms) count as two, combining
    marks as none, everything else as one."""
    return sum(_char_width(ch) for ch in text)


def pad(text: str, width: int, align: Align = "left") -> str:
    """*text* padded with spaces to *width* terminal columns."""
    fill = " " * max(width - display_width(text), 0)
    return fill + text if align == "right" else text + fill


def table(
    rows: Sequence[Sequence[str]],
    *,
    header: Sequence[str] | None = None,
    align: Sequence[Align] = (),
    indent: str = "",
    gap: str = "  ",
) -> list[str]:
    """The lines of a table with one column per item of each row.

    Args:
        rows: the cells, row by row; every row has as many cells as the header.
        header: column titles, printed as the first line when given.
        align: per column, ``left`` (the default for columns not listed) or ``right``.
        indent: put before every line.
        gap: put between two columns.

    Returns:
        One string per line, without trailing spaces.
    """
    body = [[cell(text) for text in row] for row in rows]
    lines = ([list(header)] if header is not None else []) + body
    if not lines:
        return []
    columns = max(len(line) for line in lines)
    widths = [
        max((display_width(line[i]) for line in lines if i < len(line)), default=0)
        for i in range(columns)
    ]
    aligns: list[Align] = [align[i] if i < len(align) else "left" for i in range(columns)]
    return [
        (indent + gap.join(pad(text, widths[i], aligns[i]) for i, text in enumerate(line))).rstrip()
        for line in lines
    ]


@attrs.frozen
class JsonArray:
    """A JSON array :func:`json_blocks` writes an element at a time, each made when
    it is written: what the array would hold whole is never held.

    Attributes:
        elements: the elements (an iterator is read once, as they are written);
            each is a JSON-ready value, or a :class:`JsonArray` or :class:`JsonObject`.
    """

    elements: Iterable[Any]


@attrs.frozen
class JsonObject:
    """A JSON object :func:`json_blocks` writes a member at a time (see :class:`JsonArray`).

    Attributes:
        members: the members as ``(name, value)`` pairs, in order; each value as
            for :attr:`JsonArray.elements`.
    """

    members: Iterable[tuple[str, Any]]


def json_blocks(value: Any, block: int = JSON_BLOCK) -> Iterator[str]:
    """The text of ``json.dumps(value, ensure_ascii=False, indent=2)`` in blocks of
    lines of about *block* characters: printed one after the other, each with the
    newline ``print`` adds, they are that text.

    *value* may be a :class:`JsonArray` or a :class:`JsonObject`, whose elements may
    be too (not a list or a dict holding one): each is written as the list or the
    dict of its elements would be, an element at a time, so that a document too
    big to hold whole is never made.

    Why: with an indent, ``json.dumps`` encodes in Python and holds every small
    piece of the text until it joins them, some ten times the size of the text:
    past 20 GiB for the agenda of 100,000 accounts. This holds one block, and of
    the lazily written parts one element.
    """
    pending: list[str] = []
    size = 0
    for piece in _json_pieces(value, 0):
        pending.append(piece)
        size += len(piece)
        if size >= block:
            text = "".join(pending)
            # Every newline of indented JSON is between values (strings escape
            # theirs), so the text may be cut at any of them.
            cut = text.rfind("\n")
            if cut >= 0:
                yield text[:cut]
                text = text[cut + 1 :]
            pending, size = [text], len(text)
    yield "".join(pending)


def _json_pieces(value: Any, depth: int) -> Iterator[str]:
    """The text of *value*, indented as it is at *depth* in an indent=2 document."""
    if isinstance(value, JsonArray):
        yield from _container(((None, element) for element in value.elements), "[]", depth)
    elif isinstance(value, JsonObject):
        yield from _container(value.members, "{}", depth)
    elif depth == 0:
        yield from _ENCODER.iterencode(value)
    else:
        # A value at depth d of an indented document is its own indented text
        # with every line after the first moved right by d indents (a newline
        # inside a string is escaped, so each one is a line break).
        yield _ENCODER.encode(value).replace("\n", "\n" + _INDENT * depth)


def _container(
    members: Iterable[tuple[str | None, Any]], brackets: str, depth: int
) -> Iterator[str]:
    """An array (names ``None``) or an object, as ``json.dumps(indent=2)`` lays it out."""
    inner = "\n" + _INDENT * (depth + 1)
    separator = brackets[0] + inner
    for name, value in members:
        yield separator if name is None else f"{separator}{_ENCODER.encode(name)}: "
        yield from _json_pieces(value, depth + 1)
        separator = "," + inner
    # No member: the separator is still the opening one; json.dumps writes "[]" or "{}".
    yield brackets if separator[0] == brackets[0] else "\n" + _INDENT * depth + brackets[1]
