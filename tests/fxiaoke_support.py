"""What the Fenxiang Xiaoke tests share: a local CRM on a loopback server, profile
settings that point at it, clients with a recorded sleep, and seeded tenants."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pluggy
import pytest

import kamcore_adapters.fxiaoke
from kamcore import get_plugin_manager
from kamcore_adapters._http import Backoff
from kamcore_adapters.fxiaoke import FxiaokeClient, Settings
from kamcore_adapters.testing import LoopbackServer
from kamcore_adapters.testing.fxiaoke import LocalFxiaoke

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z, 08:00 in Beijing
T0_MS = int(T0 * 1000)
SECRETS = ("local-app-secret-0f3c", "local-permanent-code-77a1")


class Sleeps(list[float]):
    """A ``sleep`` that records how long it was asked to wait, and returns at once."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def fxiaoke_plugins() -> pluggy.PluginManager:
    """A plugin manager with this adapter alone (the other installed adapters are not
    under test here)."""
    return get_plugin_manager(entry_points=False, plugins=[kamcore_adapters.fxiaoke])


def settings_for(
    crm: LocalFxiaoke, url: str, tmp_path: Path, *, profile: str = "test", **extra: str
) -> Settings:
    """Settings of a profile talking to *crm*, with a token cache in *tmp_path* and a
    budget large enough for tests (unless *extra* says otherwise)."""
    raw: dict[str, str] = {
        **crm.profile_settings(url, auth=extra.pop("auth", "corp_access_token")),
        "token_cache": str(tmp_path / "tokens"),
        "calls_per_window": "100000",
        **extra,
    }
    return Settings.from_mapping(profile, raw)


def toml_profile(settings: Mapping[str, str], profile: str = "test") -> str:
    """A ``kamcore.toml`` holding ``[fxiaoke.PROFILE]`` with *settings*."""
    lines = [f"[fxiaoke.{profile}]"]
    lines += [f"{key} = {_toml_string(value)}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def write_profile(
    crm: LocalFxiaoke,
    server: LoopbackServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    profile: str = "test",
) -> Path:
    """Write ``tmp_path/kamcore.toml`` with ``[fxiaoke.PROFILE]`` pointing at the local CRM
    (no client-side rate limit to speak of), and name it in ``$KAMCORE_CONFIG``."""
    path = tmp_path / "kamcore.toml"
    settings = {
        **crm.profile_settings(server.url),
        "token_cache": str(tmp_path / "tokens"),
        "calls_per_window": "100000",
    }
    path.write_text(toml_profile(settings, profile), encoding="utf-8")
    monkeypatch.setenv("KAMCORE_CONFIG", str(path))
    return path


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def client_for(settings: Settings, sleeps: Sleeps | None = None, **kwargs: Any) -> FxiaokeClient:
    """A client that never really sleeps (no jitter: each wait is the backoff ceiling).

    Its rate budgets are its own (a real client shares them with every client of
    the tenant in the process), so that one test's token calls do not hold up the next.
    """
    options: dict[str, Any] = {
        "sleep": sleeps if sleeps is not None else Sleeps(),
        "rand": lambda: 1.0,
        "backoff": Backoff(attempts=6, base=0.5, cap=30.0),
        "budget_clock": time.monotonic,
        **kwargs,
    }
    return FxiaokeClient(settings, **options)


@pytest.fixture(scope="module")
def loopback() -> Iterator[LoopbackServer]:
    """One loopback server per test module (stopping one takes half a second); each test
    gives it its own CRM with :func:`serve`."""
    with LoopbackServer(LocalFxiaoke()) as server:
        yield server


def serve(loopback: LoopbackServer, crm: LocalFxiaoke) -> LoopbackServer:
    """*loopback* answering as *crm*, with no fault left from an earlier test."""
    loopback.handler = crm
    loopback.faults.clear()
    return loopback


def seed_accounts(crm: LocalFxiaoke, count: int, *, owner: str = "1000") -> list[str]:
    """*count* accounts named ``Account N``, owned by *owner*; their ids in order of N."""
    return crm.add_many(
        "AccountObj",
        ({"name": f"Account {n}", "owner": [owner], "account_level": "2"} for n in range(count)),
    )


def seed_client_files(crm: LocalFxiaoke, account_ids: list[str]) -> None:
    """One contact, one sales order and one follow-up record for each account."""
    crm.add_many(
        "ContactObj",
        (
            {"name": f"Contact of {i}", "account_id": i, "mobile1": "138 0000 0000"}
            for i in account_ids
        ),
    )
    crm.add_many(
        "SalesOrderObj",
        (
            {
                "name": f"SO-{n}",
                "account_id": i,
                "order_time": T0_MS - 86_400_000,
                "order_amount": "1200.50",
                "owner": ["1000"],
            }
            for n, i in enumerate(account_ids)
        ),
    )
    crm.add_many(
        "ActiveRecordObj",
        (
            {
                "account_id": i,
                "active_record_type": "phone",
                "active_record_content": "Called about the Q3 order",
                "created_by": ["1000"],
                "owner": ["1000"],
            }
            for i in account_ids
        ),
    )
