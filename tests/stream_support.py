"""What the tests of commands that read a JSON file as they go share.

A command that streams a plain-path JSON file must print what its load path
prints, byte for byte, and word a refused file the same way: :func:`both_paths`
runs a command both ways; :data:`BAD_SOURCES` makes files the stream refuses.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kamcore import SAMPLE_PORTFOLIO, cli

Run = tuple[int, str, str]
"""A command's exit code, standard output and standard error."""

RunBoth = Callable[..., tuple[Run, Run]]
"""``run(*argv, streams=True)``: the command run streamed, then loaded."""


def both_paths(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> RunBoth:
    """Run ``kamcore COMMAND *argv`` streamed, then with the stream turned off (loaded).

    With ``streams=True`` (the default) the streamed run must not load the source;
    with ``streams=False`` it must (a source the stream refuses is loaded, to word
    the error as the load always has).
    """

    def run(*argv: str, streams: bool = True) -> tuple[Run, Run]:
        with monkeypatch.context() as patch:
            loads: list[str] = []
            real_load = cli._load

            def counted_load(args: Any) -> Any:
                loads.append(args.source)
                return real_load(args)

            patch.setattr(cli, "_load", counted_load)
            streamed = (cli.main([command, *argv]), *capsys.readouterr())
            assert (loads == []) == streams
        with monkeypatch.context() as patch:
            patch.setattr(cli, "json_file_source", lambda args: None)
            loaded = (cli.main([command, *argv]), *capsys.readouterr())
        return streamed, loaded

    return run


def sample_document() -> dict[str, Any]:
    """The shipped sample portfolio as a JSON document."""
    with open(SAMPLE_PORTFOLIO, encoding="utf-8-sig") as stream:
        document: dict[str, Any] = json.load(stream)
    return document


def write_document(path: Path, document: dict[str, Any], order: list[str] | None = None) -> str:
    """Write *document* to *path* with its members in *order* (as they are, by default)."""
    keys = order if order is not None else list(document)
    path.write_text(json.dumps({k: document[k] for k in keys}, ensure_ascii=False), "utf-8")
    return str(path)


def _bad_record(path: Path) -> str:
    document = sample_document()
    document["accounts"][-1]["transactions"][0]["amount"] = "lots"
    return write_document(path, document)


def staff_again(path: Path) -> str:
    """A sample document that names ``staff`` twice: a load keeps the later, a stream
    read the earlier."""
    document = sample_document()
    text = json.dumps(document, ensure_ascii=False)
    staff = json.dumps(document["staff"][:1], ensure_ascii=False)
    path.write_text(text[:-1] + f', "staff": {staff}}}', encoding="utf-8")
    return str(path)


def _content(data: bytes) -> Callable[[Path], str]:
    def write(path: Path) -> str:
        path.write_bytes(data)
        return str(path)

    return write


BAD_SOURCES: dict[str, Callable[[Path], str]] = {
    "bad-record": _bad_record,
    "not-json": _content(b'{"accounts": ['),
    "not-utf8": _content(b'{"accounts": ["\xff"]}'),
    "not-a-portfolio": _content(b"[1, 2]"),
    "staff-again": staff_again,
}
"""Files a stream refuses, by name: each writes its file at the path given and names it."""
