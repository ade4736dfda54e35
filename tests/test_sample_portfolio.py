"""The shipped sample portfolio: reproducible, valid, varied, and showing what its map says.

``src/kamcore/data/sample-scenarios.json`` names, for every service principle,
the accounts that break a situation and those that honour it. The checks below
are small, independent readings of each situation on the timeline (thresholds
fixed and generous), so a change to the data that stops an account from
showing its situation fails here, before any principle check relies on it.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import sys
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import kamcore
from kamcore.fileformat import dumps_portfolio
from kamcore.model import ClientFile, Interaction, Portfolio, Timeline

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "sample_portfolio.py"
PORTFOLIO_FILE = Path(kamcore.SAMPLE_PORTFOLIO)
SCENARIOS_FILE = PORTFOLIO_FILE.with_name("sample-scenarios.json")
DOCS = ROOT / "docs" / "sample-portfolio.md"

EXPORTED_AT = datetime.fromisoformat("2026-11-20T18:00:00+00:00")
KEY_TIERS = {"strategic", "key"}
PRINCIPLES = (
    "know_the_client",
    "care",
    "responsiveness",
    "commitment",
    "creativity",
    "bad_news_early",
    "proactive_contact",
    "communicate_future",
    "joint_goals",
    "honesty",
    "satisfaction",
    "complaints",
    "churn_warning",
    "reporting",
)
SCENARIO_MAP: dict[str, Any] = json.loads(SCENARIOS_FILE.read_text(encoding="utf-8"))
SCENARIOS: list[dict[str, Any]] = SCENARIO_MAP["scenarios"]


def _key(scenario: dict[str, Any]) -> str:
    return f"{scenario['principle']}.{scenario['situation']}"


@pytest.fixture(scope="module")
def script() -> Iterator[ModuleType]:
    """tools/sample_portfolio.py imported by path (dataclasses need it in sys.modules)."""
    name = "kamcore_sample_portfolio_script"
    spec = importlib.util.spec_from_file_location(name, SCRIPT)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[name]


@pytest.fixture(scope="module")
def rendered(script: ModuleType) -> tuple[str, str]:
    texts: tuple[str, str] = script.render()
    return texts


@pytest.fixture(scope="module")
def result() -> kamcore.LoadResult:
    return kamcore.load_portfolio(kamcore.SAMPLE_PORTFOLIO)


@pytest.fixture(scope="module")
def portfolio(result: kamcore.LoadResult) -> Portfolio:
    return result.portfolio


# ---------------------------------------------------------------------------
# The files are the script's output, and load cleanly
# ---------------------------------------------------------------------------


def test_committed_portfolio_is_the_scripts_output(rendered: tuple[str, str]) -> None:
    assert PORTFOLIO_FILE.read_text(encoding="utf-8") == rendered[0], (
        "run: python tools/sample_portfolio.py"
    )


def test_committed_scenarios_are_the_scripts_output(rendered: tuple[str, str]) -> None:
    assert SCENARIOS_FILE.read_text(encoding="utf-8") == rendered[1], (
        "run: python tools/sample_portfolio.py"
    )


def test_the_script_is_deterministic(script: ModuleType, rendered: tuple[str, str]) -> None:
    assert script.render() == rendered


def test_loads_in_strict_mode_without_quarantine(result: kamcore.LoadResult) -> None:
    assert result.quarantine == ()


def test_file_is_canonical(portfolio: Portfolio) -> None:
    assert dumps_portfolio(portfolio) + "\n" == PORTFOLIO_FILE.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------
# Size, time, people
# ---------------------------------------------------------------------------


def test_size_and_time_span(portfolio: Portfolio) -> None:
    assert len(portfolio) >= 40
    assert portfolio["KA-001"].account.tier == "strategic"
    assert portfolio.exported_at == EXPORTED_AT
    moments = [event.at for client in portfolio for event in client.timeline]
    assert max(moments) <= EXPORTED_AT
    assert max(moments) - min(moments) >= timedelta(days=183)
    purchases = [t.at for client in portfolio for t in client.transactions]
    assert min(purchases).year == 2024
    assert max(purchases) <= EXPORTED_AT


def test_ids_run_from_ka_001(portfolio: Portfolio) -> None:
    ids = [client.id for client in portfolio]
    assert ids == [f"KA-{n:03d}" for n in range(1, len(ids) + 1)]


def test_owners_are_account_managers(portfolio: Portfolio) -> None:
    roles = {member.id: member.role for member in portfolio.staff}
    owners = {client.account.owner for client in portfolio}
    assert len(owners) >= 4
    assert {roles.get(owner) for owner in owners} == {"account_manager"}


def test_staff_roles(portfolio: Portfolio) -> None:
    roles = [member.role for member in portfolio.staff]
    assert roles.count("account_manager") >= 5
    assert roles.count("department_head") == 2
    assert "executive" in roles
    assert {"support", "delivery", "billing"} <= set(roles)
    blind = [m.id for m in portfolio.staff if m.client_facing and not m.sees_key_list]
    assert len(blind) == 1


def test_tiers(portfolio: Portfolio) -> None:
    tiers = [client.account.tier for client in portfolio]
    assert {"strategic", "key", "vip", "regular"} <= set(tiers)
    assert None in tiers


def test_classification_facts(portfolio: Portfolio) -> None:
    expected = {
        "brand_recognition": str,
        "annual_potential": int,
        "segment": str,
        "territory": str,
        "new_segment": bool,
        "media_active": bool,
        "uses_competitor": bool,
        "competitor_unsatisfied": bool,
        "strategic_list": bool,
        "field_sales_reps": int,
    }
    for client in portfolio:
        facts = client.account.facts
        for name, kind in expected.items():
            assert isinstance(facts[name], kind), (client.id, name)
        assert facts["brand_recognition"] in {"high", "medium", "low"}


# Script checks, written with escapes so the test file holds no look-alike letters.
UKRAINIAN_ONLY = set("\u0456\u0457\u0454\u0491\u0406\u0407\u0404\u0490")  # Ukrainian i, yi, ye, ghe
RUSSIAN_ONLY = set("\u044b\u044d\u0451\u042b\u042d\u0401")  # Russian yery, e, yo
HARD_SIGN = "\u044a"  # the hard sign, common in Bulgarian
BG_QUOTE = "\u201e"  # the low double quote that opens a Bulgarian company name


def _cyrillic(text: str) -> bool:
    return any("\u0400" <= c <= "\u04ff" for c in text)


SCRIPTS: dict[str, Callable[[str], bool]] = {
    "zh": lambda t: any("\u4e00" <= c <= "\u9fff" for c in t),
    "uk": lambda t: bool(UKRAINIAN_ONLY & set(t)),
    "ru": lambda t: bool(RUSSIAN_ONLY & set(t)) and not UKRAINIAN_ONLY & set(t),
    "bg": lambda t: (
        _cyrillic(t)
        and not (RUSSIAN_ONLY | UKRAINIAN_ONLY) & set(t)
        and (HARD_SIGN in t.lower() or BG_QUOTE in t)
    ),
    "en": lambda t: t.isascii() and any(c.isalpha() for c in t),
}


@pytest.mark.parametrize("language", sorted(SCRIPTS))
def test_names_and_notes_in_every_language(portfolio: Portfolio, language: str) -> None:
    written_in = SCRIPTS[language]
    names = [client.account.name for client in portfolio]
    notes = [note.text for client in portfolio for note in client.account.personal_notes]
    assert any(written_in(name) for name in names), f"no account name in {language}"
    assert any(written_in(note) for note in notes), f"no personal note in {language}"
    contact_languages = {c.language for client in portfolio for c in client.account.contacts}
    assert language in contact_languages


def test_contacts_have_roles_channels_and_languages(portfolio: Portfolio) -> None:
    contacts = [c for client in portfolio for c in client.account.contacts]
    assert {c.language for c in contacts} == {"zh", "ru", "uk", "bg", "en"}
    assert {c.channel for c in contacts} - {None} >= {"call", "meeting", "email", "visit"}
    assert sum(c.position is not None for c in contacts) > len(contacts) * 0.8


def test_currencies_and_the_bulgarian_euro_switch(portfolio: Portfolio) -> None:
    euro_day = date(2026, 1, 1)
    currencies = set()
    for client in portfolio:
        for transaction in client.transactions:
            assert isinstance(transaction.amount, Decimal)
            currencies.add(transaction.currency)
            if transaction.currency == "BGN":
                assert transaction.at.date() < euro_day, (client.id, transaction.id)
            if BG_QUOTE in client.account.name and transaction.at.date() >= euro_day:
                assert transaction.currency == "EUR", (client.id, transaction.id)
    assert currencies == {"CNY", "RUB", "UAH", "EUR", "USD", "GBP", "BGN"}


def test_local_time_offsets(portfolio: Portfolio) -> None:
    def offsets(account_id: str) -> set[float]:
        return {
            e.at.utcoffset().total_seconds() / 3600  # type: ignore[union-attr]
            for e in portfolio[account_id].timeline
        }

    assert offsets("KA-001") == {8.0}  # Shanghai
    assert offsets("KA-010") == {3.0}  # Moscow
    assert offsets("KA-019") == {2.0, 3.0}  # Kyiv, with summer time
    assert offsets("KA-028") == {2.0, 3.0}  # Sofia
    assert offsets("KA-037") == {0.0, 1.0}  # London


def test_weekly_reports_to_department_heads(portfolio: Portfolio) -> None:
    heads = {m.id for m in portfolio.staff if m.role == "department_head"}
    assert portfolio.reports
    for report in portfolio.reports:
        assert report.to in heads
        assert report.at.weekday() == 0
        assert (report.at.hour, report.at.minute) == (9, 0)
    per_head = {head: [r for r in portfolio.reports if r.to == head] for head in heads}
    for reports in per_head.values():
        assert len(reports) >= 26
        gaps = {b.at - a.at for a, b in itertools.pairwise(reports)}
        assert gaps <= {timedelta(days=7), timedelta(days=7, hours=1), timedelta(days=6, hours=23)}


def test_documents_and_decisions(portfolio: Portfolio) -> None:
    documents = [d for client in portfolio for e in client.timeline for d in e.documents]
    assert any(d.media_type == "application/pdf" for d in documents)
    assert any(d.media_type == "text/plain" for d in documents)
    decisions = [d for client in portfolio for d in client.timeline.decisions()]
    snoozes = [d for d in decisions if d.action == "snooze"]
    assert snoozes
    assert all(d.until and d.reason for d in snoozes)
    assert any(d.until and d.until > EXPORTED_AT for d in snoozes), "one snooze still running"
    assert any(d.until and d.until < EXPORTED_AT for d in snoozes), "one snooze over"
    assert any(d.action == "acknowledge" and d.reason for d in decisions)


# ---------------------------------------------------------------------------
# The scenario map
# ---------------------------------------------------------------------------


def test_scenario_ids_are_unique_snake_case() -> None:
    keys = [_key(s) for s in SCENARIOS]
    assert len(keys) == len(set(keys))
    for scenario in SCENARIOS:
        assert scenario["principle"] in PRINCIPLES
        assert scenario["situation"].replace("_", "").isalpha()
        assert scenario["situation"] == scenario["situation"].lower()
        assert scenario["description"].endswith(".")
        assert not set(scenario["breaks"]) & set(scenario["honours"])


@pytest.mark.parametrize("principle", PRINCIPLES)
def test_every_principle_is_broken_and_honoured(principle: str) -> None:
    assert any(s["breaks"] and s["honours"] for s in SCENARIOS if s["principle"] == principle), (
        principle
    )


@pytest.mark.parametrize("scenario", SCENARIOS, ids=_key)
def test_scenario_names_what_exists(portfolio: Portfolio, scenario: dict[str, Any]) -> None:
    people = scenario["breaks"] + scenario["honours"]
    assert scenario["breaks"]
    if scenario["subject"] == "staff":
        staff = {m.id for m in portfolio.staff}
        assert set(people) <= staff
    else:
        assert scenario["subject"] == "account"
        assert all(account_id in portfolio for account_id in people)
    for account_id, event_ids in scenario["events"].items():
        assert event_ids
        timeline = portfolio[account_id].timeline
        for event_id in event_ids:
            assert timeline.get(event_id) is not None, (account_id, event_id)


# ---------------------------------------------------------------------------
# Each situation read on the timeline: breakers show it, honourers are clean
# ---------------------------------------------------------------------------

Check = Callable[[ClientFile, Portfolio], bool]


def _days(delta: timedelta) -> float:
    return delta.total_seconds() / 86400


def _age(moment: datetime) -> float:
    return _days(EXPORTED_AT - moment)


def _tl(client: ClientFile) -> Timeline:
    return client.timeline


def _profile_incomplete(client: ClientFile, _: Portfolio) -> bool:
    account = client.account
    return (
        not account.needs
        and not account.preferences
        and not account.personal_notes
        and all(c.position is None and c.channel is None for c in account.contacts)
    )


def _profile_complete(client: ClientFile, _: Portfolio) -> bool:
    account = client.account
    return bool(
        account.needs
        and account.preferences
        and account.personal_notes
        and account.contacts
        and all(c.position and c.channel for c in account.contacts)
    )


def _declined_bare(client: ClientFile, _: Portfolio) -> bool:
    return any(
        s.answer and s.answer.declined and s.answer.alternative is None
        for s in _tl(client).requests()
    )


def _declined_with_alternative_only(client: ClientFile, p: Portfolio) -> bool:
    answers = [s.answer for s in _tl(client).requests() if s.answer and s.answer.declined]
    return bool(answers) and not _declined_bare(client, p)


PERSONAL_TOPICS = {"order_completed", "problem"}


def _templated(client: ClientFile, _: Portfolio) -> bool:
    return any(
        not i.personal and PERSONAL_TOPICS & set(i.topics) for i in _tl(client).interactions()
    )


def _personal_touch(client: ClientFile, p: Portfolio) -> bool:
    personal = _tl(client).interactions(personal=True)
    return any(PERSONAL_TOPICS & set(i.topics) for i in personal) and not _templated(client, p)


def _unanswered_a_week(client: ClientFile, _: Portfolio) -> bool:
    return any(s.answer_by is None and _age(s.request.at) > 7 for s in _tl(client).open_requests())


def _all_answered_fast(client: ClientFile, _: Portfolio) -> bool:
    states = _tl(client).requests()
    for s in states:
        first = [a.at for a in s.answer_promises] + ([s.answer.at] if s.answer else [])
        if not first or min(first) - s.request.at > timedelta(hours=4):
            return False
    return bool(states)


def _answer_date_passed(client: ClientFile, _: Portfolio) -> bool:
    return any(s.answer_by and _age(s.answer_by) > 5 for s in _tl(client).open_requests())


def _answer_dates_kept(client: ClientFile, _: Portfolio) -> bool:
    promised = [s for s in _tl(client).requests() if s.answer_by]
    return bool(promised) and all(
        s.answer and s.answer_by and s.answer.at <= s.answer_by for s in promised
    )


def _net_days(timeline: Timeline, state: Any) -> tuple[float, float]:
    """(raw, net of waits) age in days of a request's open clock."""
    end = state.answer.at if state.answer else EXPORTED_AT
    paused = timeline.paused_seconds(state.request.id, state.request.at, end)
    raw = _days(end - state.request.at)
    return raw, raw - paused / 86400


def _waited(timeline: Timeline) -> list[Any]:
    about = {w.started.about for w in timeline.waits()}
    return [s for s in timeline.open_requests() if s.request.id in about]


def _late_despite_wait(client: ClientFile, _: Portfolio) -> bool:
    timeline = _tl(client)
    return any(_net_days(timeline, s)[1] > 7 for s in _waited(timeline))


def _on_time_thanks_to_wait(client: ClientFile, _: Portfolio) -> bool:
    timeline = _tl(client)
    ages = [_net_days(timeline, s) for s in _waited(timeline)]
    return bool(ages) and all(raw > 7 and net < 1 for raw, net in ages)


def _overdue_not_renegotiated(client: ClientFile, _: Portfolio) -> bool:
    return any(
        s.overdue(EXPORTED_AT) and not s.renegotiations and _age(s.due) > 14
        for s in _tl(client).promises()
    )


def _promises_kept_in_time(client: ClientFile, _: Portfolio) -> bool:
    states = _tl(client).promises()
    return bool(states) and all(s.kept and s.kept.at <= s.due for s in states)


def _proper(reneg: Any) -> bool:
    return bool(reneg.explanation and reneg.apology and reneg.new_due and reneg.written)


def _improper_renegotiation(client: ClientFile, _: Portfolio) -> bool:
    return any(not _proper(r) for s in _tl(client).promises() for r in s.renegotiations)


def _proper_renegotiation_kept(client: ClientFile, p: Portfolio) -> bool:
    moved = [s for s in _tl(client).promises() if s.renegotiations]
    return (
        bool(moved)
        and not _improper_renegotiation(client, p)
        and all(s.kept and s.kept.at <= s.due for s in moved)
    )


def _slipped_thrice(client: ClientFile, _: Portfolio) -> bool:
    return any(len(s.renegotiations) >= 3 for s in _tl(client).promises())


def _never_slipped(client: ClientFile, p: Portfolio) -> bool:
    states = _tl(client).promises()
    return not any(s.renegotiations for s in states) and _promises_kept_in_time(client, p)


def _situation_without_response(client: ClientFile, _: Portfolio) -> bool:
    return any(not s.responses for s in _tl(client).situations())


def _response_not_reusable(client: ClientFile, _: Portfolio) -> bool:
    return any(
        s.responses and not any(r.reusable for r in s.responses) for s in _tl(client).situations()
    )


def _reusable_playbooks(client: ClientFile, _: Portfolio) -> bool:
    situations = _tl(client).situations()
    return bool(situations) and all(any(r.reusable for r in s.responses) for s in situations)


def _told_late(client: ClientFile, _: Portfolio) -> bool:
    return any(
        c.first_told and _days(c.first_told.at - c.change.at) > 20
        for c in _tl(client).adverse_changes()
    )


def _never_told(client: ClientFile, _: Portfolio) -> bool:
    return any(
        not c.communications and _age(c.change.at) > 30 for c in _tl(client).adverse_changes()
    )


def _told_bare(client: ClientFile, _: Portfolio) -> bool:
    return any(
        c.first_told and not c.first_told.alternatives for c in _tl(client).adverse_changes()
    )


def _told_well(client: ClientFile, _: Portfolio) -> bool:
    changes = _tl(client).adverse_changes()
    return bool(changes) and all(
        c.first_told
        and _days(c.first_told.at - c.change.at) <= 2
        and c.first_told.written
        and c.first_told.alternatives
        for c in changes
    )


def _silent_key_account(client: ClientFile, _: Portfolio) -> bool:
    last = _tl(client).last_contact()
    return client.account.tier in KEY_TIERS and (last is None or _age(last.at) > 60)


def _weekly_contact(client: ClientFile, _: Portfolio) -> bool:
    moments = [i.at for i in _tl(client).interactions(personal=True)]
    moments = [m for m in moments if m.date() >= date(2026, 4, 1)] + [EXPORTED_AT]
    gaps = [_days(b - a) for a, b in itertools.pairwise(moments)]
    return len(moments) > 20 and max(gaps) <= 7.5


def _problem_starts(timeline: Timeline) -> list[datetime]:
    complaints = [c.complaint.at for c in timeline.complaints()]
    slips = [s.renegotiations[0].at for s in timeline.promises() if s.renegotiations]
    return complaints + slips


VOICE = {"call", "meeting", "visit"}


def _emails_only_since_problem(client: ClientFile, _: Portfolio) -> bool:
    timeline = _tl(client)
    for start in _problem_starts(timeline):
        since = [i for i in timeline.interactions(personal=True) if i.at >= start]
        if _age(start) > 14 and since and all(i.channel == "email" for i in since):
            return True
    return False


def _called_about_problems(client: ClientFile, _: Portfolio) -> bool:
    timeline = _tl(client)
    starts = _problem_starts(timeline)
    calls = [i.at for i in timeline.interactions(personal=True) if i.channel in VOICE]
    return bool(starts) and all(
        any(
            timedelta(0) <= c - s <= timedelta(days=1)
            or timedelta(0) <= s - c <= timedelta(hours=1)
            for c in calls
        )
        for s in starts
    )


FUTURE_TOPICS = ("thanks", "future_plans")


def _no_future_talk(client: ClientFile, _: Portfolio) -> bool:
    recent = [i for i in _tl(client).interactions() if _age(i.at) <= 183]
    return bool(recent) and not any(set(FUTURE_TOPICS) & set(i.topics) for i in recent)


def _no_future_talk_snoozed(client: ClientFile, p: Portfolio) -> bool:
    snoozes = _tl(client).decisions("communicate_future.no_future_talk")
    return _no_future_talk(client, p) and any(
        d.action == "snooze" and d.until and d.until > EXPORTED_AT for d in snoozes
    )


def _future_talk_recent(client: ClientFile, _: Portfolio) -> bool:
    return all(
        any(_age(i.at) <= 30 for i in _tl(client).with_topic(topic)) for topic in FUTURE_TOPICS
    )


def _key_without_goal(client: ClientFile, _: Portfolio) -> bool:
    return client.account.tier in KEY_TIERS and not _tl(client).goals()


def _goal_without_client(client: ClientFile, _: Portfolio) -> bool:
    return any(not g.goal.client_participants for g in _tl(client).goals())


def _stale_goal(client: ClientFile, _: Portfolio) -> bool:
    return any(_age(g.latest.at if g.latest else g.goal.at) > 120 for g in _tl(client).goals())


def _joint_goal_alive(client: ClientFile, _: Portfolio) -> bool:
    goals = _tl(client).goals()
    return bool(goals) and all(
        g.goal.client_participants and g.latest and _age(g.latest.at) <= 30 for g in goals
    )


def _moved_by_phone(client: ClientFile, _: Portfolio) -> bool:
    return any(not r.written for s in _tl(client).promises() for r in s.renegotiations)


def _moved_in_writing(client: ClientFile, _: Portfolio) -> bool:
    moves = [r for s in _tl(client).promises() for r in s.renegotiations]
    return bool(moves) and all(r.written for r in moves)


def _delays(client: ClientFile) -> list[Any]:
    return [c for c in _tl(client).adverse_changes() if c.change.change == "delay"]


def _delay_by_phone(client: ClientFile, _: Portfolio) -> bool:
    return any(
        c.communications and not any(t.written for t in c.communications) for c in _delays(client)
    )


def _delay_in_writing(client: ClientFile, _: Portfolio) -> bool:
    delays = _delays(client)
    return bool(delays) and all(c.first_told and c.first_told.written for c in delays)


def _means(client: ClientFile) -> list[float]:
    return [s.mean_score for s in _tl(client).surveys() if s.mean_score is not None]


def _survey_overdue(client: ClientFile, _: Portfolio) -> bool:
    surveys = _tl(client).surveys()
    return not surveys or _age(surveys[-1].at) > 270


def _regular_stable_surveys(client: ClientFile, _: Portfolio) -> bool:
    surveys = _tl(client).surveys()
    means = _means(client)
    moments = [s.at for s in surveys] + [EXPORTED_AT]
    gaps = [_days(b - a) for a, b in itertools.pairwise(moments)]
    changes = [abs(b - a) for a, b in itertools.pairwise(means)]
    return len(surveys) >= 3 and max(gaps) <= 90 and max(changes) < 0.5


def _score_dropped(client: ClientFile, _: Portfolio) -> bool:
    means = _means(client)
    return any(a - b >= 1.0 for a, b in itertools.pairwise(means))


def _complaint_stuck(client: ClientFile, _: Portfolio) -> bool:
    return any(s.steps and _age(s.steps[-1].at) > 14 for s in _tl(client).open_complaints())


def _complaint_stuck_acknowledged(client: ClientFile, p: Portfolio) -> bool:
    acknowledged = _tl(client).decisions("complaints.complaint_step_overdue")
    return _complaint_stuck(client, p) and any(d.action == "acknowledge" for d in acknowledged)


def _no_feedback(client: ClientFile, _: Portfolio) -> bool:
    return any(
        (resolved := s.reached("resolved"))
        and _age(resolved.at) > 14
        and s.reached("feedback_given") is None
        for s in _tl(client).complaints()
    )


def _complaints_handled(client: ClientFile, _: Portfolio) -> bool:
    complaints = _tl(client).complaints()
    return bool(complaints) and all(
        (done := s.reached("feedback_given")) and done.at - s.complaint.at <= timedelta(days=3)
        for s in complaints
    )


def _in_eur(amount: Decimal, currency: str) -> Decimal:
    return amount / Decimal("1.95583") if currency == "BGN" else amount


def _churning(client: ClientFile, _: Portfolio) -> bool:
    bought = [t.at for t in client.transactions]
    means = _means(client)
    last = _tl(client).last_contact()
    return (
        sum(at.year == 2025 for at in bought) >= 10
        and _age(max(bought)) > 120
        and len(means) >= 2
        and means[-1] <= means[0] - 1.0
        and (last is None or _age(last.at) > 90)
    )


def _growing(client: ClientFile, _: Portfolio) -> bool:
    def bought(start_days: int, end_days: int) -> Decimal:
        return sum(
            (
                _in_eur(t.amount, t.currency)
                for t in client.transactions
                if end_days <= _age(t.at) < start_days
            ),
            Decimal(0),
        )

    means = _means(client)
    last = _tl(client).last_contact()
    return (
        bought(180, 0) > bought(545, 365) * Decimal("1.2")
        and bool(means)
        and means[-1] >= 4.0
        and last is not None
        and _age(last.at) <= 7
    )


def _mentions(client: ClientFile, p: Portfolio) -> list[datetime]:
    return [r.at for r in p.reports if client.id in r.account_ids]


def _unreported_key_account(client: ClientFile, p: Portfolio) -> bool:
    mentions = _mentions(client, p)
    return client.account.tier in KEY_TIERS and not any(_age(m) <= 35 for m in mentions)


def _reported_weekly(client: ClientFile, p: Portfolio) -> bool:
    mentions = [*_mentions(client, p), EXPORTED_AT]
    gaps = [_days(b - a) for a, b in itertools.pairwise(mentions)]
    return (
        client.account.tier in KEY_TIERS
        and mentions[0].date() <= date(2026, 4, 13)
        and max(gaps) <= 7.1
    )


COMPLAINTS_HONOURED = _complaints_handled
BAD_NEWS_HONOURED = _told_well

CHECKS: dict[str, tuple[Check, Check]] = {
    # situation: (the breaker shows it, the honourer is clean)
    "know_the_client.profile_incomplete": (_profile_incomplete, _profile_complete),
    "care.no_without_alternative": (_declined_bare, _declined_with_alternative_only),
    "care.templated_where_personal_due": (_templated, _personal_touch),
    "responsiveness.request_unanswered": (_unanswered_a_week, _all_answered_fast),
    "responsiveness.answer_date_passed": (_answer_date_passed, _answer_dates_kept),
    "responsiveness.wait_discounted": (_late_despite_wait, _on_time_thanks_to_wait),
    "commitment.promise_overdue": (_overdue_not_renegotiated, _promises_kept_in_time),
    "commitment.renegotiated_without_notice_parts": (
        _improper_renegotiation,
        _proper_renegotiation_kept,
    ),
    "commitment.repeated_slips": (_slipped_thrice, _never_slipped),
    "creativity.situation_without_playbook": (_situation_without_response, _reusable_playbooks),
    "creativity.playbook_not_reusable": (_response_not_reusable, _reusable_playbooks),
    "bad_news_early.bad_news_told_late": (_told_late, BAD_NEWS_HONOURED),
    "bad_news_early.bad_news_not_told": (_never_told, BAD_NEWS_HONOURED),
    "bad_news_early.bad_news_without_alternatives": (_told_bare, BAD_NEWS_HONOURED),
    "proactive_contact.silent_past_cadence": (_silent_key_account, _weekly_contact),
    "proactive_contact.problem_without_call": (_emails_only_since_problem, _called_about_problems),
    "communicate_future.no_future_talk": (_no_future_talk, _future_talk_recent),
    "communicate_future.no_future_talk_snoozed": (_no_future_talk_snoozed, _future_talk_recent),
    "joint_goals.no_joint_goal": (_key_without_goal, _joint_goal_alive),
    "joint_goals.goal_without_client": (_goal_without_client, _joint_goal_alive),
    "joint_goals.goal_progress_stale": (_stale_goal, _joint_goal_alive),
    "honesty.date_moved_without_written_notice": (_moved_by_phone, _moved_in_writing),
    "honesty.delay_not_in_writing": (_delay_by_phone, _delay_in_writing),
    "satisfaction.survey_overdue": (_survey_overdue, _regular_stable_surveys),
    "satisfaction.satisfaction_drop": (_score_dropped, _regular_stable_surveys),
    "complaints.complaint_step_overdue": (_complaint_stuck, COMPLAINTS_HONOURED),
    "complaints.complaint_step_overdue_acknowledged": (
        _complaint_stuck_acknowledged,
        COMPLAINTS_HONOURED,
    ),
    "complaints.no_feedback_after_resolution": (_no_feedback, COMPLAINTS_HONOURED),
    "churn_warning.churn_risk": (_churning, _growing),
    "reporting.not_reported": (_unreported_key_account, _reported_weekly),
}

ACCOUNT_CASES = [
    pytest.param(_key(s), account_id, role, id=f"{_key(s)}-{role}-{account_id}")
    for s in SCENARIOS
    if s["subject"] == "account"
    for role in ("breaks", "honours")
    for account_id in s[role]
]


def test_every_account_scenario_has_a_reading() -> None:
    keys = {_key(s) for s in SCENARIOS if s["subject"] == "account"}
    assert keys == set(CHECKS)


@pytest.mark.parametrize(("key", "account_id", "role"), ACCOUNT_CASES)
def test_account_shows_its_situation(
    portfolio: Portfolio, key: str, account_id: str, role: str
) -> None:
    shows, clean = CHECKS[key]
    client = portfolio[account_id]
    if role == "breaks":
        assert shows(client, portfolio), f"{account_id} should show {key}"
    else:
        assert not shows(client, portfolio), f"{account_id} should not show {key}"
        assert clean(client, portfolio), f"{account_id} should clearly honour {key}"


def test_staff_scenario(portfolio: Portfolio) -> None:
    (scenario,) = [s for s in SCENARIOS if s["subject"] == "staff"]
    assert _key(scenario) == "care.key_list_reach"
    staff = {m.id: m for m in portfolio.staff}
    for member_id in scenario["breaks"]:
        assert staff[member_id].client_facing
        assert not staff[member_id].sees_key_list
    for member_id in scenario["honours"]:
        assert staff[member_id].client_facing
        assert staff[member_id].sees_key_list
    shown = [
        portfolio[account_id].timeline.get(event_id)
        for account_id, ids in scenario["events"].items()
        for event_id in ids
    ]
    assert shown
    for account_id in scenario["events"]:
        assert portfolio[account_id].account.tier in KEY_TIERS
    assert all(isinstance(e, Interaction) and e.by in scenario["breaks"] for e in shown)


def test_ka_001_is_rich_and_well_served(portfolio: Portfolio) -> None:
    honoured = {_key(s) for s in SCENARIOS if "KA-001" in s["honours"]}
    broken = {_key(s) for s in SCENARIOS if "KA-001" in s["breaks"]}
    assert not broken
    assert len({key.split(".")[0] for key in honoured}) >= 12
    assert len(portfolio["KA-001"].timeline) >= 80


def test_classification_candidates(portfolio: Portfolio) -> None:
    from kamcore import classification

    classifier = classification.load_classifier()
    order = ["regular", "vip", "key", "strategic"]
    candidates = SCENARIO_MAP["classification"]
    for account_id in candidates["recorded_below_criteria"]:
        client = portfolio[account_id]
        computed = classifier.classify(client, EXPORTED_AT).tier
        assert order.index(computed) > order.index(client.account.tier or "regular"), account_id
    for account_id in candidates["recorded_above_criteria"]:
        client = portfolio[account_id]
        computed = classifier.classify(client, EXPORTED_AT).tier
        assert order.index(computed) < order.index(client.account.tier or "regular"), account_id


# ---------------------------------------------------------------------------
# The docs page lists every scenario as the map does
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", SCENARIOS, ids=_key)
def test_docs_list_the_scenario(scenario: dict[str, Any]) -> None:
    rows = [
        line
        for line in DOCS.read_text(encoding="utf-8").splitlines()
        if line.startswith(f"| `{scenario['situation']}` |")
    ]
    assert len(rows) == 1, f"docs/sample-portfolio.md needs one table row for {_key(scenario)}"
    row = rows[0]
    for name in scenario["breaks"] + scenario["honours"]:
        assert name in row, name
    for event_ids in scenario["events"].values():
        for event_id in event_ids:
            assert event_id in row, event_id
