"""The tasks and notes kamcore pushes are written for people, in their language."""

from __future__ import annotations

import re

import pytest

import kamcore
from kamcore.actions import actions_from_agenda
from kamcore.i18n import LANGUAGES, action_text, messages
from kamcore.review import Agenda, review
from sink_support import sample_agenda


@pytest.fixture(scope="module")
def sample_portfolio_agenda() -> Agenda:
    portfolio = kamcore.load_portfolio(kamcore.SAMPLE_PORTFOLIO).portfolio
    return review(portfolio, portfolio.exported_at)


def test_actions_read_as_text_not_as_message_keys(sample_portfolio_agenda: Agenda) -> None:
    agenda = sample_portfolio_agenda
    actions = actions_from_agenda(agenda, "acme")
    assert actions
    for action, finding in zip(actions, agenda.findings, strict=True):
        assert action.title.endswith(action_text(finding.action, messages("en")))
        assert not re.search(r"\[\[|\{[a-z_]+\}", action.title + action.body)  # no missing text
        assert f"kamcore: {finding.principle}.{finding.code} ({finding.severity})" in action.body


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_the_language_changes_the_texts_never_the_keys(language: str) -> None:
    agenda = sample_agenda()
    english = actions_from_agenda(agenda, "acme")
    translated = actions_from_agenda(agenda, "acme", messages=messages(language))
    assert [a.key for a in translated] == [a.key for a in english]
    assert all(t.title != e.title for t, e in zip(translated, english, strict=True))
    texts = messages(language)
    for action, finding in zip(translated, agenda.findings, strict=True):
        assert action_text(finding.action, texts) in action.title
