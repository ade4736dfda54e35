"""Read a JSON object from a text stream with one member's list handed over item by item.

A portfolio document is one JSON object whose ``accounts`` list holds nearly
all of it. Parsing it whole holds every account as Python dicts and lists at
once, several times the size of the file; reading the list one item at a time
lets the caller turn each account into the model and drop its JSON at once.

Only the structure around the items is parsed here; every value, and every
item, is parsed by the standard library's decoder, so values come out exactly
as :func:`json.loads` gives them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import IO, Any, Final

__all__ = ["CHUNK", "BadJSON", "Streamed", "read_object"]

CHUNK: Final = 1 << 20
"""Characters read from the stream at a time (at least; more for a long value)."""

_WHITESPACE: Final = json.decoder.WHITESPACE  # type: ignore[attr-defined]


class BadJSON(Exception):
    """The stream is not valid JSON.

    Attributes:
        msg: what is wrong, in the words of :mod:`json`.
        lineno: the line of the problem, from 1.
        colno: its column, from 1.
    """

    def __init__(self, msg: str, lineno: int, colno: int) -> None:
        # The wording of json.JSONDecodeError, so both readers report alike.
        super().__init__(f"{msg} at line {lineno} column {colno}")
        self.msg = msg
        self.lineno = lineno
        self.colno = colno


class Streamed:
    """Stands in the object for the list that was handed over item by item.

    Attributes:
        count: how many items it had.
        repeated: whether the object named the member again later (:func:`json.loads`
            would keep the later value; the items handed over were the first's).
    """

    def __init__(self, count: int) -> None:
        self.count = count
        self.repeated = False


class _Reader:
    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.buffer = ""
        self.position = 0
        # Where the buffer starts in the text: lines before it, and characters
        # between the last of their line breaks and the buffer's start.
        self.lines = 0
        self.line_start = 0
        self.eof = False
        self.decoder = json.JSONDecoder(parse_float=Decimal)

    def more(self) -> bool:
        """Read more of the stream into the buffer; ``False`` at the end of the stream."""
        if self.eof:
            return False
        # Read at least as much as is buffered, so a long value is retried a
        # logarithmic number of times, not once per chunk.
        chunk = self.stream.read(max(CHUNK, len(self.buffer) - self.position))
        if not chunk:
            self.eof = True
            return False
        dropped = self.buffer[: self.position]
        breaks = dropped.count("\n")
        if breaks:
            self.lines += breaks
            self.line_start = len(dropped) - dropped.rindex("\n") - 1
        else:
            self.line_start += len(dropped)
        self.buffer = self.buffer[self.position :] + chunk
        self.position = 0
        return True

    def peek(self) -> str:
        """The next character that is not white space, ``""`` at the end."""
        while True:
            self.position = _WHITESPACE.match(self.buffer, self.position).end()
            if self.position < len(self.buffer):
                return self.buffer[self.position]
            if not self.more():
                return ""

    def take(self, expected: str, what: str) -> str:
        """Consume the next character, which must be one of *expected*."""
        char = self.peek()
        if not char or char not in expected:
            raise self.error(f"Expecting {what}")
        self.position += 1
        return char

    def value(self) -> Any:
        """The next JSON value, parsed by the standard decoder."""
        self.peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buffer, self.position)
            except json.JSONDecodeError as error:
                if self.more():
                    continue
                raise self.error(error.msg, error.pos) from None
            # A number that ends where the buffer ends may go on in the next chunk.
            if end == len(self.buffer) and self.more():
                continue
            self.position = end
            return value

    def error(self, msg: str, position: int | None = None) -> BadJSON:
        """The problem *msg* at *position* of the buffer (default: the current one)."""
        at = self.position if position is None else position
        breaks = self.buffer.count("\n", 0, at)
        line_start = self.buffer.rindex("\n", 0, at) + 1 if breaks else -self.line_start
        return BadJSON(msg, self.lines + breaks + 1, at - line_start + 1)


def read_object(
    stream: IO[str],
    streamed: str,
    each: Callable[[int, Any], None],
    start: Callable[[Mapping[str, Any]], None] | None = None,
) -> Any:
    """Read the JSON value in *stream*, handing the items of member *streamed* to *each*.

    Args:
        stream: text holding one JSON value.
        streamed: the member of the top-level object whose list is handed over
            item by item; in the result it is a :class:`Streamed`. When it is not
            a list it is read like any other member.
        each: called with the position and the parsed value of every item.
        start: called when the list of *streamed* begins, with the members read
            before it (a JSON object's members come in any order).

    Returns:
        The value: for an object, its members (the *streamed* one as a
        :class:`Streamed`); anything else as :func:`json.loads` reads it.

    Raises:
        BadJSON: the stream is not one valid JSON value.
    """
    reader = _Reader(stream)
    if reader.peek() != "{":
        result = reader.value()
    else:
        reader.position += 1
        result = _members(reader, streamed, each, start)
    if reader.peek():
        raise reader.error("Extra data")
    return result


def _members(
    reader: _Reader,
    streamed: str,
    each: Callable[[int, Any], None],
    start: Callable[[Mapping[str, Any]], None] | None,
) -> dict[str, Any]:
    members: dict[str, Any] = {}
    if reader.peek() == "}":
        reader.position += 1
        return members
    while True:
        if reader.peek() != '"':
            raise reader.error("Expecting property name enclosed in double quotes")
        key = reader.value()
        reader.take(":", "':' delimiter")
        marker = members.get(key)
        if key == streamed and isinstance(marker, Streamed):
            reader.value()  # its items were handed over already; only say it came twice
            marker.repeated = True
        elif key == streamed and reader.peek() == "[":
            reader.position += 1
            if start is not None:
                start(dict(members))  # a copy: the members read later are not its business
            members[key] = Streamed(_items(reader, each))
        else:
            members[key] = reader.value()
        if reader.take(",}", "',' delimiter") == "}":
            return members


def _items(reader: _Reader, each: Callable[[int, Any], None]) -> int:
    count = 0
    if reader.peek() == "]":
        reader.position += 1
        return count
    while True:
        each(count, reader.value())
        count += 1
        if reader.take(",]", "',' delimiter") == "]":
            return count
