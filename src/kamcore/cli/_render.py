"""Plain-text tables that stay aligned whatever the script of the text in them."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Literal

__all__ = ["Align", "cell", "display_width", "pad", "table"]

Align = Literal["left", "right"]

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
