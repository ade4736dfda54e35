"""What the Zoho tests share: a local Zoho org on a loopback server and a profile for it.

Import the fixtures by their ``fixture_*`` names (``from zoho_support import fixture_zoho``);
tests ask for them by their short names (``zoho``, ``server``, ``clock``, ``profile``).

The profile is written to a ``kamcore.toml`` in the test's folder and named by
``$KAMCORE_CONFIG``, exactly as a user would configure the adapter, so every test
goes through the real hooks. Retries back off for milliseconds, not seconds.

Also shared: the actions the push tests write (:func:`make_actions`, :func:`in_zoho`,
:func:`push_via_hook`) and :func:`check`, which validates a body against a component
schema of Zoho's own OpenAPI files.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from kamcore.actions import Action
from kamcore_adapters import zoho as adapter
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


def grant_form(zoho: LocalZoho) -> dict[str, str]:
    """The form of a refresh grant that *zoho* accepts (to call its token endpoint by hand)."""
    return {
        "grant_type": "refresh_token",
        "client_id": zoho.client_id,
        "client_secret": zoho.client_secret,
        "refresh_token": zoho.refresh_token,
    }


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


# -------------------------------------------------------------------------------------------------
# Actions to push
# -------------------------------------------------------------------------------------------------

DUE = datetime(2026, 3, 9, 17, 0, tzinfo=UTC)


def make_actions(accounts: list[str], owner: str, *, tasks: int, notes: int = 0) -> list[Action]:
    """*tasks* tasks and *notes* notes, spread over *accounts*, each with its own key."""
    actions = []
    for n in range(tasks + notes):
        kind = "task" if n < tasks else "note"
        actions.append(
            Action(
                key=f"kam-{n:04d}",
                tenant="acme",
                kind=kind,
                account_id=accounts[n % len(accounts)],
                owner=owner,
                title=f"[violation] request unanswered: answer request {n}",
                body=f"Request R-{n} waits for an answer.\nrecommended action: answer_request",
                due=DUE if kind == "task" else None,
                finding_code="request_unanswered",
                severity="violation",
                evidence=(f"R-{n}",),
            )
        )
    return actions


def in_zoho(zoho: LocalZoho, module: str, key_field: str = "Kamcore_Key") -> list[str]:
    """The action keys of the records in *module*, one per record (duplicates show twice)."""
    if module == "Tasks":
        return sorted(r[key_field] for r in zoho.records["Tasks"].values() if key_field in r)
    return sorted(
        r["Note_Content"].rsplit("kamcore-key: ", 1)[1]
        for r in zoho.records["Notes"].values()
        if "kamcore-key: " in r["Note_Content"]
    )


def push_via_hook(actions: list[Action]) -> dict[str, Any]:
    """Push *actions* to ``zoho:acme`` through the hook; the results by action key."""
    results = adapter.kamcore_push_actions(sink=SOURCE, actions=actions)
    assert results is not None
    return {r.key: r for r in results}


# -------------------------------------------------------------------------------------------------
# Zoho's own OpenAPI files, to check the local Zoho's bodies against
# -------------------------------------------------------------------------------------------------

OAS = Path(__file__).parent / "data" / "zoho-oas"
BASE = "https://zoho-oas.invalid/"


def _openapi_to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0's ``nullable: true`` is JSON Schema's ``type: [T, "null"]``."""
    if isinstance(node, dict):
        converted = {k: _openapi_to_json_schema(v) for k, v in node.items() if k != "nullable"}
        if node.get("nullable") is True and isinstance(node.get("type"), str):
            converted["type"] = [node["type"], "null"]
        if node.get("nullable") is True and "enum" in node:
            converted["enum"] = [*node["enum"], None]
        return converted
    if isinstance(node, list):
        return [_openapi_to_json_schema(item) for item in node]
    return node


def _registry() -> Registry[Any]:
    resources = [
        (
            BASE + path.name,
            Resource.from_contents(
                _openapi_to_json_schema(json.loads(path.read_text(encoding="utf-8"))),
                default_specification=DRAFT4,
            ),
        )
        for path in OAS.glob("*.json")
    ]
    return Registry().with_resources(resources)


REGISTRY = _registry()


def check(body: Any, file: str, schema: str) -> None:
    """Fail unless *body* is valid against component *schema* of the OpenAPI *file*."""
    validator = jsonschema.Draft4Validator(
        {"$ref": f"{BASE}{file}#/components/schemas/{schema}"}, registry=REGISTRY
    )
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(body)]
    assert not errors, errors
