"""The command line loads (or streams) SOURCE with the garbage collector paused, and restores it."""

from __future__ import annotations

import gc
import importlib
from collections.abc import Iterator
from typing import Any

import pytest

import kamcore.cli._source as source_module
from kamcore import SAMPLE_PORTFOLIO
from kamcore.cli import main
from kamcore.cli._source import collector_paused

# Not ``import kamcore.cli._review``: the package's ``_review`` is the command function.
review_module = importlib.import_module("kamcore.cli._review")


@pytest.fixture
def collector_enabled() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.enable()
    yield
    if not was_enabled:
        gc.disable()


@pytest.mark.usefixtures("collector_enabled")
@pytest.mark.parametrize(
    "argv",
    [
        ["accounts", f"file:{SAMPLE_PORTFOLIO}"],  # a plain path streams (test_cli_stream_commands)
        ["review", f"file:{SAMPLE_PORTFOLIO}"],  # a plain path streams (test_cli_review_stream)
        ["escalate", f"file:{SAMPLE_PORTFOLIO}"],  # a plain path streams (test_cli_stream_commands)
        ["push", "--dry-run", "jsonl:/nonexistent/never-written.jsonl", SAMPLE_PORTFOLIO],
    ],
)
def test_a_command_loads_with_the_collector_paused_and_restores_it(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    during: list[bool] = []
    real_load = source_module.load_portfolio

    def watched_load(source: str, **options: Any) -> Any:
        during.append(gc.isenabled())
        return real_load(source, **options)

    monkeypatch.setattr(source_module, "load_portfolio", watched_load)
    main(argv)
    capsys.readouterr()
    assert during == [False]  # the real load ran once, with the collector paused
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_enabled")
def test_the_stream_runs_with_the_collector_paused_and_restores_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    during: list[bool] = []
    real = review_module.review_portfolio_stream

    def watched(*args: Any, **options: Any) -> Any:
        during.append(gc.isenabled())
        return real(*args, **options)

    monkeypatch.setattr(review_module, "review_portfolio_stream", watched)
    assert main(["review", SAMPLE_PORTFOLIO]) == 0
    capsys.readouterr()
    assert during == [False]
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_enabled")
def test_the_collector_is_restored_when_the_load_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["accounts", "file:/nonexistent/portfolio.json"]) == 1
    assert "kamcore: error:" in capsys.readouterr().err
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        if was_enabled:
            gc.enable()
