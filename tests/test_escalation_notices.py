"""Escalation notices: who is told that a finding climbed to them, in what words, and
that each is sent once however often ``send_notices`` or ``kamcore escalate --send`` runs."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pluggy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kamcore
from kamcore import hookimpl
from kamcore.cli import main
from kamcore.errors import KamcoreError
from kamcore.escalation import (
    DEFAULT_CHANNEL,
    Escalation,
    EscalationNotice,
    Holder,
    Stay,
    escalate,
    escalation_notices,
    notice_key,
)
from kamcore.i18n import LANGUAGES, action_text, builtin_catalogs, describe, merge_catalogs
from kamcore.i18n import messages as messages_for
from kamcore.model import Portfolio, StaffMember
from kamcore.notices import Notice
from kamcore.review import Finding, review
from kamcore.stores import Ledger
from kamcore.sync import send_notices

CATALOGS = merge_catalogs(builtin_catalogs())


@pytest.fixture(scope="module")
def sample() -> tuple[Portfolio, tuple[Escalation, ...]]:
    """The sample portfolio and where its open findings stand at its export time."""
    portfolio = kamcore.load_portfolio(kamcore.SAMPLE_PORTFOLIO).portfolio
    assert portfolio.exported_at is not None
    agenda = review(portfolio, portfolio.exported_at)
    return portfolio, escalate(agenda, portfolio=portfolio)


def expected_deliveries(escalations: tuple[Escalation, ...]) -> set[tuple[str, int, str]]:
    """(finding key, level, staff id) for every level 1+ reached and everyone holding it."""
    return {
        (e.finding.key, stay.level, member)
        for e in escalations
        for stay in e.stays
        if stay.level >= 1
        for member in stay.staff
    }


class Recorder:
    """A channel plugin that keeps every notice it is handed."""

    def __init__(self) -> None:
        self.received: list[Notice] = []

    @hookimpl
    def kamcore_send_notice(self, notice: Notice) -> None:
        self.received.append(notice)


class Flaky(Recorder):
    """A channel that raises for the notices whose key is in ``failing``."""

    def __init__(self, failing: set[str]) -> None:
        super().__init__()
        self.failing = failing

    @hookimpl
    def kamcore_send_notice(self, notice: Notice) -> None:
        assert isinstance(notice, EscalationNotice)
        if notice.key in self.failing:
            raise ConnectionError("the IM gateway is down")
        self.received.append(notice)


def with_languages(portfolio: Portfolio, language: str | None) -> Portfolio:
    """*portfolio* with every staff member reading *language*."""
    return Portfolio(
        files=list(portfolio),
        staff=[attrs.evolve(member, language=language) for member in portfolio.staff],
        reports=portfolio.reports,
        exported_at=portfolio.exported_at,
    )


def key_of(notice: Notice) -> str:
    assert isinstance(notice, EscalationNotice)
    return notice.key


def manager(*plugins: object) -> pluggy.PluginManager:
    return kamcore.get_plugin_manager(entry_points=False, plugins=plugins)


# -------------------------------------------------------------------------------------------------
# Building the notices
# -------------------------------------------------------------------------------------------------


def test_one_notice_per_level_reached_and_holder(
    sample: tuple[Portfolio, tuple[Escalation, ...]],
) -> None:
    portfolio, escalations = sample
    notices = escalation_notices(escalations, portfolio, catalogs=CATALOGS)
    delivered = [(n.finding_key, n.level, n.recipient) for n in notices]
    assert len(delivered) == len(set(delivered))
    assert set(delivered) == expected_deliveries(escalations)
    assert all(n.level >= 1 for n in notices)
    # Findings that stay with their owner owe no one a notice.
    at_owner = {e.finding.key for e in escalations if not e.escalated}
    assert at_owner
    assert not at_owner & {n.finding_key for n in notices}


def test_notices_say_what_where_and_who(
    sample: tuple[Portfolio, tuple[Escalation, ...]],
) -> None:
    portfolio, escalations = sample
    notices = escalation_notices(escalations, portfolio, catalogs=CATALOGS)
    by_key = {e.finding.key: e for e in escalations}
    names = {member.id: member.name for member in portfolio.staff}
    for notice in notices:
        escalation = by_key[notice.finding_key or ""]
        finding = escalation.finding
        texts = CATALOGS.messages(notice.language)
        assert notice.key == notice_key(finding.key, notice.level, notice.recipient)
        assert notice.channel == DEFAULT_CHANNEL
        assert notice.account_id == finding.account_id
        assert portfolio[finding.account_id].account.name in notice.subject
        assert describe(finding, texts) in notice.body
        assert action_text(finding.action, texts) in notice.body
        assert names[notice.recipient] in notice.body
        assert names[finding.owner] in notice.body
        assert notice.since == escalation.stays[notice.level].since
        assert texts.value(notice.since) in notice.body


def test_next_step_top_level_and_moved_on(
    sample: tuple[Portfolio, tuple[Escalation, ...]],
) -> None:
    portfolio, escalations = sample
    english = CATALOGS.messages("en")
    texts = {
        key: english.template(f"escalation_notice.{key}") or ""
        for key in ("next", "top_level", "moved_on")
    }
    notices = escalation_notices(
        escalations,
        with_languages(portfolio, "en"),
        catalogs=CATALOGS,
    )
    by_key = {e.finding.key: e for e in escalations}
    seen: Counter[str] = Counter()
    for notice in notices:
        escalation = by_key[notice.finding_key or ""]
        if notice.level < escalation.level:
            kind = "moved_on"
        elif escalation.next is None:
            kind = "top_level"
        else:
            kind = "next"
        assert texts[kind].split("{")[0] in notice.body, (kind, notice.body)
        seen[kind] += 1
    assert set(seen) == {"next", "top_level", "moved_on"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_notices_in_every_language(
    sample: tuple[Portfolio, tuple[Escalation, ...]], language: str
) -> None:
    portfolio, escalations = sample
    notices = escalation_notices(
        escalations, with_languages(portfolio, language), catalogs=CATALOGS
    )
    texts = CATALOGS.messages(language)
    assert notices
    for notice in notices:
        assert notice.language == language
        for text in (notice.subject, notice.body):
            assert "[[" not in text  # a missing catalog key
            assert "{" not in text  # a placeholder left unfilled
        intro = texts.template("escalation_notice.intro") or ""
        assert intro.split("{")[0] in notice.body
    if language != "en":
        english = escalation_notices(escalations, portfolio, messages=messages_for("en"))
        assert {n.subject for n in notices}.isdisjoint(
            n.subject for n in english if n.language == "en"
        )


def test_staff_language_wins_and_the_given_messages_fill_in(
    sample: tuple[Portfolio, tuple[Escalation, ...]],
) -> None:
    portfolio, escalations = sample
    own = {member.id: member.language for member in portfolio.staff}
    notices = escalation_notices(escalations, portfolio, catalogs=CATALOGS)
    assert {n.language for n in notices} == {own[n.recipient] for n in notices}
    assert all(n.language == own[n.recipient] for n in notices)
    unknown = with_languages(portfolio, None)
    russian = escalation_notices(
        escalations, unknown, messages=CATALOGS.messages("ru"), catalogs=CATALOGS
    )
    assert {n.language for n in russian} == {"ru"}
    assert {n.language for n in escalation_notices(escalations, unknown)} == {"en"}


def test_notices_are_deterministic(sample: tuple[Portfolio, tuple[Escalation, ...]]) -> None:
    portfolio, escalations = sample
    first = escalation_notices(escalations, portfolio, tenant="acme")
    again = escalation_notices(escalations, portfolio, tenant="acme")
    assert first == again
    assert [n.as_dict() for n in first] == [n.as_dict() for n in again]
    assert {n.tenant for n in first} == {"acme"}
    assert len({n.key for n in first}) == len(first)


# -------------------------------------------------------------------------------------------------
# Generated escalations
# -------------------------------------------------------------------------------------------------

START = datetime(2026, 3, 2, 9, tzinfo=UTC)
STAFF_IDS = ("anna", "boris", "chen", "dana", "emil")


@st.composite
def generated(draw: st.DrawFn) -> tuple[Portfolio, list[Escalation]]:
    """A staff list and escalations of distinct findings, each with a ladder of holders."""
    staff = [
        StaffMember(
            id=member, name=member.title(), language=draw(st.sampled_from([None, *LANGUAGES]))
        )
        for member in STAFF_IDS
    ]
    escalations = []
    for index in range(draw(st.integers(0, 8))):
        finding = Finding(
            account_id=f"KA-{draw(st.integers(1, 3))}",
            owner=draw(st.sampled_from(STAFF_IDS)),
            principle="commitment",
            code="promise_overdue",
            severity="violation",
            evidence=(f"ev-{index}",),
            action="written_notice",
        )
        stays = []
        for level in range(draw(st.integers(1, 4))):
            holders = draw(st.lists(st.sampled_from(STAFF_IDS), max_size=3))
            since = START + timedelta(days=level)
            stays.append(
                Stay(
                    level=level,
                    name=f"level_{level}",
                    holder=Holder("role", "department_head"),
                    staff=tuple(sorted(set(holders))),
                    since=since,
                    until=None,
                    duration=timedelta(0),
                )
            )
        stays = [
            attrs.evolve(stay, until=stays[i + 1].since) if i + 1 < len(stays) else stay
            for i, stay in enumerate(stays)
        ]
        escalations.append(Escalation(finding=finding, as_of=START, stays=tuple(stays)))
    return Portfolio(staff=staff), escalations


@settings(max_examples=40, deadline=None)
@given(generated())
def test_every_holder_of_a_reached_level_gets_one_notice(
    case: tuple[Portfolio, list[Escalation]],
) -> None:
    portfolio, escalations = case
    notices = escalation_notices(escalations, portfolio, catalogs=CATALOGS)
    keys = [notice.key for notice in notices]
    assert len(keys) == len(set(keys))
    assert {(n.finding_key, n.level, n.recipient) for n in notices} == expected_deliveries(
        tuple(escalations)
    )


# -------------------------------------------------------------------------------------------------
# Sending, once
# -------------------------------------------------------------------------------------------------


@pytest.fixture
def notices(sample: tuple[Portfolio, tuple[Escalation, ...]]) -> list[EscalationNotice]:
    portfolio, escalations = sample
    return escalation_notices(escalations[:12], portfolio)


def test_each_notice_is_sent_once_across_runs(
    tmp_path: Path, notices: list[EscalationNotice]
) -> None:
    channel = Recorder()
    plugins = manager(channel)
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        first = send_notices(notices, ledger, plugins=plugins)
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        second = send_notices([*notices, *notices], ledger, plugins=plugins)
        records = ledger.notices("default")
    assert (first.sent, first.already_sent, first.failed) == (len(notices), 0, 0)
    assert (second.sent, second.already_sent, second.failed) == (0, len(notices), 0)
    assert channel.received == notices
    assert sorted(r.key for r in records) == sorted(n.key for n in notices)
    assert {r.recipient for r in records} == {n.recipient for n in notices}


def test_a_failing_channel_is_retried_while_the_others_deliver(
    tmp_path: Path, notices: list[EscalationNotice]
) -> None:
    failing = {notices[0].key, notices[3].key}
    steady, flaky = Recorder(), Flaky(failing)
    plugins = manager(steady, flaky)
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        first = send_notices(notices, ledger, plugins=plugins)
        assert (first.sent, first.already_sent, first.failed) == (len(notices) - 2, 0, 2)
        assert set(first.errors) == failing
        assert all("ConnectionError: the IM gateway is down" in e for e in first.errors.values())
        assert steady.received == notices  # the other channel got every notice
        flaky.failing = set()  # the gateway is back
        second = send_notices(notices, ledger, plugins=plugins)
        third = send_notices(notices, ledger, plugins=plugins)
    assert (second.sent, second.already_sent, second.failed) == (2, len(notices) - 2, 0)
    assert (third.sent, third.already_sent, third.failed) == (0, len(notices), 0)
    assert steady.received == notices  # not again
    assert Counter(map(key_of, flaky.received)) == Counter(map(key_of, notices))


def test_tenants_are_kept_apart(tmp_path: Path, notices: list[EscalationNotice]) -> None:
    channel = Recorder()
    plugins = manager(channel)
    other = [attrs.evolve(notice, tenant="acme-eu") for notice in notices]
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        assert send_notices(notices, ledger, plugins=plugins).sent == len(notices)
        assert send_notices(other, ledger, plugins=plugins).sent == len(notices)
        assert len(ledger.notices("acme-eu")) == len(notices)
    assert len(channel.received) == 2 * len(notices)


def test_without_a_channel_plugin_nothing_is_recorded(
    tmp_path: Path, notices: list[EscalationNotice]
) -> None:
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        with pytest.raises(KamcoreError, match="no installed plugin delivers notices"):
            send_notices(notices, ledger, plugins=manager())
        assert ledger.notices("default") == []
        assert send_notices([], ledger, plugins=manager()).sent == 0


def test_a_ledger_from_before_notices_keeps_working(
    tmp_path: Path, notices: list[EscalationNotice]
) -> None:
    path = tmp_path / "old.sqlite3"
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(
            "CREATE TABLE cursors (tenant TEXT NOT NULL, source TEXT NOT NULL,"
            " cursor TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (tenant, source))"
        )
        db.execute("INSERT INTO cursors VALUES ('default', 'zoho:eu', 'c-1', '2026-01-01')")
    with Ledger(path) as ledger:
        assert ledger.cursor("default", "zoho:eu") == "c-1"
        assert send_notices(notices[:2], ledger, plugins=manager(Recorder())).sent == 2
        assert len(ledger.notices("default")) == 2


def test_the_example_plugin_delivers_its_channel_once(
    tmp_path: Path, notices: list[EscalationNotice], monkeypatch: pytest.MonkeyPatch
) -> None:
    example = pytest.importorskip("kamcore_example_sink")
    outbox = tmp_path / "outbox.jsonl"
    monkeypatch.setenv(example.NOTICES_ENV, str(outbox))
    for_example = [attrs.evolve(notice, channel="example") for notice in notices]
    plugins = manager(example)
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        send_notices([*for_example, *notices[:1]], ledger, plugins=plugins)
        send_notices(for_example, ledger, plugins=plugins)
    lines = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    assert [line["finding_key"] for line in lines] == [n.finding_key for n in for_example]


# -------------------------------------------------------------------------------------------------
# kamcore escalate
# -------------------------------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(["escalate", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_lists_escalations_and_notices_without_sending(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    sample: tuple[Portfolio, tuple[Escalation, ...]],
) -> None:
    escalations = sample[1]
    ledger = tmp_path / "ledger.sqlite3"
    status, out, _ = run(capsys, "--ledger", str(ledger))
    assert status == 0
    escalated = [e for e in escalations if e.escalated]
    count = len(expected_deliveries(escalations))
    assert out.startswith(f"{len(escalated)} findings above the owner as of 2026-11-20 18:00")
    assert f"{count} notices to send (dry run, nothing sent; --send sends them):" in out
    assert all(e.finding.key in out for e in escalated)
    assert "Escalation, level 1 (department head)" in out  # an English-speaking head
    assert "问题升级（第2级，高管负责人）" in out  # the executive reads Chinese
    assert not ledger.exists()


def test_cli_json_lists_every_notice(
    capsys: pytest.CaptureFixture[str], sample: tuple[Portfolio, tuple[Escalation, ...]]
) -> None:
    escalations = sample[1]
    status, out, _ = run(capsys, "--format", "json", "--tenant", "acme")
    document: dict[str, Any] = json.loads(out)
    assert status == 0
    assert document["as_of"] == "2026-11-20T18:00:00+00:00"
    assert [e["finding"] for e in document["escalations"]] == [
        e.finding.key for e in escalations if e.escalated
    ]
    assert {(n["finding_key"], n["level"], n["recipient"]) for n in document["notices"]} == (
        expected_deliveries(escalations)
    )
    assert {n["tenant"] for n in document["notices"]} == {"acme"}
    assert "sent" not in document


def test_cli_send_twice_sends_nothing_the_second_time(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    sample: tuple[Portfolio, tuple[Escalation, ...]],
) -> None:
    channel = Recorder()
    monkeypatch.setattr("kamcore.cli._escalate.get_plugin_manager", lambda: manager(channel))
    count = len(expected_deliveries(sample[1]))
    ledger = str(tmp_path / "ledger.sqlite3")
    assert run(capsys, "--send", "--ledger", ledger) == (
        0,
        f"sent {count}, already sent 0, failed 0\n",
        "",
    )
    status, out, _ = run(capsys, "--send", "--ledger", ledger, "--format", "json")
    assert status == 0
    assert json.loads(out)["sent"] == {
        "sent": 0,
        "already_sent": count,
        "failed": 0,
        "errors": {},
    }
    assert len(channel.received) == count


def test_cli_send_fails_with_exit_1_and_retries(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    sample: tuple[Portfolio, tuple[Escalation, ...]],
) -> None:
    portfolio, escalations = sample
    first = escalation_notices(escalations, portfolio)[0]
    flaky = Flaky({first.key})
    monkeypatch.setattr("kamcore.cli._escalate.get_plugin_manager", lambda: manager(flaky))
    count = len(expected_deliveries(escalations))
    ledger = str(tmp_path / "ledger.sqlite3")
    status, out, err = run(capsys, "--send", "--ledger", ledger)
    assert (status, out) == (1, f"sent {count - 1}, already sent 0, failed 1\n")
    headline, failure = err.splitlines()
    assert headline == "kamcore: error: 1 notice failed; the next run sends them again"
    assert failure.startswith(f"  {first.key}: ")
    assert failure.endswith("ConnectionError: the IM gateway is down")
    flaky.failing = set()
    assert run(capsys, "--send", "--ledger", ledger)[:2] == (
        0,
        f"sent 1, already sent {count - 1}, failed 0\n",
    )
