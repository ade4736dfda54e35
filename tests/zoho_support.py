"""What the Zoho tests share: a local Zoho org on a loopback server and a profile for it.

Import the fixtures by their ``fixture_*`` names (``from zoho_support import fixture_zoho``);
tests ask for them by their short names (``zoho``, ``server``, ``clock``, ``profile``).

The profile is written to a ``kamcore.toml`` in the test's folder and named by
``$KAMCORE_CONFIG``, exactly as a user would configure the adapter, so every test
goes through the real hooks. Retries back off for milliseconds, not seconds.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kamcore_adapters.testing import LoopbackServer, ManualClock
from kamcore_adapters.testing.zoho import LocalZoho

PROFILE = "acme"
SOURCE = f"zoho:{PROFILE}"
FAST_RETRIES = {"backoff_base": "0.001", "backoff_cap": "0.01", "attempts": "6"}


def toml_table(settings: dict[str, str], profile: str = PROFILE) -> str:
    """The ``[zoho.PROFILE]`` table holding *settings*."""
    lines = [f"[zoho.{profile}]"]
    lines += [f'{key} = "{value}"' for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def write_profile(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    zoho: LocalZoho,
    server: LoopbackServer,
    **extra: str,
) -> Path:
    """Write ``kamcore.toml`` with a profile for *zoho* and point ``$KAMCORE_CONFIG`` at it."""
    settings = zoho.profile(
        server.url, token_cache=str(tmp_path / "zoho-state"), **FAST_RETRIES, **extra
    )
    path = tmp_path / "kamcore.toml"
    path.write_text(toml_table(settings), encoding="utf-8")
    monkeypatch.setenv("KAMCORE_CONFIG", str(path))
    return path


slow = pytest.mark.slow

HOUR = 3600.0


@pytest.fixture(name="clock")
def fixture_clock() -> ManualClock:
    """The org's clock, starting two hours ago.

    The adapter's cursor is the real time at which a sync starts, so records
    entered now are older than any cursor, and a test that changes a record
    first moves the clock past the real time (:func:`later`).
    """
    return ManualClock(time.time() - 2 * HOUR)


def later(clock: ManualClock) -> None:
    """Move the org's clock past the real time, so what changes next is newer than any cursor."""
    clock.advance(max(0.0, time.time() - clock.now()) + 300)


@pytest.fixture(name="zoho")
def fixture_zoho(clock: ManualClock) -> LocalZoho:
    """An empty local org."""
    return LocalZoho(clock=clock)


@pytest.fixture(name="server")
def fixture_server(zoho: LocalZoho) -> Iterator[LoopbackServer]:
    """The org, served on 127.0.0.1."""
    with LoopbackServer(zoho) as running:
        yield running


@pytest.fixture(name="profile")
def fixture_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, zoho: LocalZoho, server: LoopbackServer
) -> str:
    """The source/sink ``zoho:acme`` configured for the local org; returns the URI."""
    monkeypatch.chdir(tmp_path)
    write_profile(tmp_path, monkeypatch, zoho, server)
    return SOURCE
