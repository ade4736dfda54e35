"""The file sink: actions appended to a JSON Lines file, one line per action.

Each line is ``{"record_id": "actions.jsonl:7", "key": "kam-…", "action": {…}}``;
the record id is the file's name and the line's number (from 1). A batch is
written at once, then flushed and ``fsync``-ed, so an action whose push returned
is on disk. The file is only ever appended to.

An action whose key is already in the file is not written again: its existing
record id is returned, so the file stays free of duplicates even when the
ledger that remembers what was pushed is lost or a different one is used.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

from kamcore.actions import Action, PushResult
from kamcore.errors import SourceError

__all__ = ["SUFFIX", "append_actions", "find_record", "record_id"]

SUFFIX: Final = ".jsonl"
"""The suffix a sink path must have for the file adapter to write to it."""


def record_id(path: Path, line_number: int) -> str:
    """The record id of line *line_number* (from 1) of the sink file *path*."""
    return f"{path.name}:{line_number}"


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """Every line of *path* with its number (from 1), as written (with its line
    break, if it has one); none when the file does not exist."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return
    with handle:
        yield from enumerate(handle, start=1)


def _key_and_id(path: Path, number: int, line: bytes) -> tuple[str, str] | None:
    """The key and record id a line holds, or ``None`` for a line that is not a
    record (blank, or cut short by a crash while it was written)."""
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):  # also UnicodeDecodeError
        return None
    if not isinstance(record, dict) or not isinstance(record.get("key"), str):
        return None
    stored = record.get("record_id")
    return record["key"], stored if isinstance(stored, str) else record_id(path, number)


def find_record(path: Path, sink: str, key: str) -> str | None:
    """The record id of the line of *path* that holds the action *key*, or ``None``.

    Raises:
        SourceError: the file exists but cannot be read.
    """
    needle = json.dumps(key, ensure_ascii=False).encode()
    try:
        for number, line in _lines(path):
            if needle in line:  # parse only the lines that can hold it
                found = _key_and_id(path, number, line)
                if found is not None and found[0] == key:
                    return found[1]
    except OSError as error:
        raise SourceError(f"{sink}: cannot read ({error.strerror or error})") from None
    return None


def _sync_directory(directory: Path) -> None:
    # A new file's name is durable only once its directory is; POSIX only.
    if not hasattr(os, "O_DIRECTORY"):  # pragma: no cover - Windows
        return
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def append_actions(path: Path, sink: str, actions: Sequence[Action]) -> list[PushResult]:
    """Append one line per action of *actions* to *path* that it does not hold yet.

    Returns:
        One result per action, with the record id of its line.

    Raises:
        SourceError: the file cannot be read or written; nothing of the batch is
            then known to be written, and the ledger keeps it for the next push.
    """
    try:
        return _append(path, actions)
    except OSError as error:
        raise SourceError(f"{sink}: cannot write ({error.strerror or error})") from None


def _append(path: Path, actions: Sequence[Action]) -> list[PushResult]:
    known: dict[str, str] = {}
    count, last = 0, b"\n"
    for count, line in _lines(path):
        last = line
        found = _key_and_id(path, count, line)
        if found is not None:
            known.setdefault(*found)
    chunks: list[bytes] = []
    if not last.endswith(b"\n"):
        # The last line was cut short (a crash while it was written): end it, so
        # that the first new record starts on a line of its own.
        chunks.append(b"\n")
    results = []
    for action in actions:
        if action.key not in known:
            count += 1
            known[action.key] = record_id(path, count)
            record = {"record_id": known[action.key], "key": action.key, "action": action.as_dict()}
            chunks.append(json.dumps(record, ensure_ascii=False).encode() + b"\n")
        results.append(PushResult(action.key, record_id=known[action.key]))
    if chunks:
        created = not path.exists()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab") as handle:
            handle.write(b"".join(chunks))
            handle.flush()
            os.fsync(handle.fileno())
        if created:
            _sync_directory(path.parent)
    return results
