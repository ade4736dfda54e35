"""A review of the sample portfolio finds exactly what docs/sample-portfolio.md documents.

Every account documented as breaking a situation gets a finding with that
situation's code; every account documented as honouring it gets no finding of
that principle at all.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest

import kamcore
from kamcore.review import Agenda, Finding, review

SCENARIOS: list[dict[str, Any]] = json.loads(
    resources.files("kamcore").joinpath("data", "sample-scenarios.json").read_text("utf-8")
)["scenarios"]


def _review() -> Agenda:
    portfolio = kamcore.load_portfolio(kamcore.SAMPLE_PORTFOLIO).portfolio
    assert portfolio.exported_at is not None
    return review(portfolio, portfolio.exported_at)


AGENDA = _review()
EVERY_FINDING: tuple[Finding, ...] = AGENDA.findings + AGENDA.snoozed + AGENDA.acknowledged


def _scenario_id(scenario: dict[str, Any]) -> str:
    return f"{scenario['principle']}.{scenario['situation']}"


def _on(account_id: str, principle: str) -> list[Finding]:
    return [f for f in EVERY_FINDING if f.account_id == account_id and f.principle == principle]


ACCOUNT_SCENARIOS = [s for s in SCENARIOS if s["subject"] == "account"]


@pytest.mark.parametrize("scenario", ACCOUNT_SCENARIOS, ids=map(_scenario_id, ACCOUNT_SCENARIOS))
def test_breakers_get_the_finding(scenario: dict[str, Any]) -> None:
    for account_id in scenario["breaks"]:
        codes = {f.code for f in _on(account_id, scenario["principle"])}
        assert scenario["code"] in codes, f"{account_id}: {sorted(codes)}"


@pytest.mark.parametrize("scenario", ACCOUNT_SCENARIOS, ids=map(_scenario_id, ACCOUNT_SCENARIOS))
def test_honourers_get_no_finding_of_that_principle(scenario: dict[str, Any]) -> None:
    for account_id in scenario["honours"]:
        assert _on(account_id, scenario["principle"]) == [], account_id


def test_key_list_reach_names_the_staff_who_cannot_see_the_list() -> None:
    (scenario,) = [s for s in SCENARIOS if s["subject"] == "staff"]
    found = [f for f in EVERY_FINDING if f.code == "key_list_reach"]
    assert found
    named = {str(value) for f in found for value in (*f.params.values(), *f.values.values())}
    for person in scenario["breaks"]:
        assert person in named
    for person in scenario["honours"]:
        assert person not in named


def test_decisions_in_the_sample_take_effect() -> None:
    assert any(f.account_id == "KA-009" and f.code == "no_future_talk" for f in AGENDA.snoozed)
    assert any(
        f.account_id == "KA-035" and f.code == "complaint_step_overdue" for f in AGENDA.acknowledged
    )
    assert not any(f.account_id == "KA-009" and f.code == "no_future_talk" for f in AGENDA.findings)
