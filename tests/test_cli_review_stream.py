"""``kamcore review`` of a JSON file reviews it as it reads it, and prints what a load
followed by a review prints: every format and option, and the same errors.

Each case runs the command twice: as it runs (streamed), and with the stream turned
off (loaded, the path every other source takes); the two must agree byte for byte.
"""

from __future__ import annotations

import importlib
import io
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kamcore import SAMPLE_PORTFOLIO, cli, load_portfolio
from kamcore.classification import DEFAULT_RULES
from kamcore.cli._render import json_blocks
from kamcore.escalation import escalate, load_policy, opened_at
from kamcore.escalation.ladder import escalator
from kamcore.model import ClientFile
from kamcore.review import Finding, review
from kamcore.review.stream import review_portfolio_stream
from kamcore.synthetic import SyntheticSpec, account_id, write_synthetic_portfolio
from stream_support import (
    RunBoth,
    both_paths,
    sample_document,
    write_document,
)

# Not ``import kamcore.cli._review``: the package's ``_review`` is the command function.
review_module = importlib.import_module("kamcore.cli._review")

POLICY = """\
[escalation]
levels = [
    { name = "owner" },
    { name = "head", role = "department_head" },
]

[escalation.delays]
violation = { business_days = 2 }

[calendar]
time_zone = "Asia/Shanghai"
working_days = ["Mon", "Tue", "Wed", "Thu", "Fri"]
"""


@pytest.fixture
def run_both(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> RunBoth:
    """Run ``kamcore review *argv`` streamed, then loaded; check which paths ran."""
    return both_paths("review", monkeypatch, capsys)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("synthetic") / "portfolio.json"
    with path.open("w", encoding="utf-8") as stream:
        write_synthetic_portfolio(SyntheticSpec(accounts=20, events_per_account=12), stream)
    return str(path)


@pytest.fixture
def policy(tmp_path: Path) -> str:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY, encoding="utf-8")
    return str(path)


OPTIONS = [
    [],
    ["--format", "json"],
    ["--format", "markdown", "--lang", "ru"],
    ["--lang", "zh", "--owner", "wang-lei"],
    ["--owner", "Ирина Соколова", "--format", "markdown"],
    ["--as-of", "2026-10-15T09:30+08:00", "--format", "json", "--rules", str(DEFAULT_RULES)],
]


@pytest.mark.parametrize("options", OPTIONS, ids=" ".join)
def test_the_sample_prints_the_same_streamed_or_loaded(
    run_both: RunBoth, options: list[str]
) -> None:
    streamed, loaded = run_both(SAMPLE_PORTFOLIO, *options)
    assert streamed == loaded
    assert streamed[0] == 0
    assert streamed[1]


def test_the_sample_has_findings_held_above_their_owner(run_both: RunBoth, policy: str) -> None:
    # The escalations are where the findings' dates (read from their records while
    # streaming) show: some must have climbed for the comparison to mean anything.
    streamed, loaded = run_both(SAMPLE_PORTFOLIO, "--format", "json", "--policy", policy)
    assert streamed == loaded
    levels = [f["escalation"]["level"] for f in json.loads(streamed[1])["findings"]]
    assert 0 in levels
    assert any(level > 0 for level in levels)


@pytest.mark.parametrize(
    "options",
    [
        ["--format", "json"],
        ["--format", "json", "--policy", "POLICY"],
        ["--format", "markdown", "--lang", "bg", "--policy", "POLICY"],
        ["--as-of", "2026-09-30"],
    ],
    ids=" ".join,
)
def test_a_generated_portfolio_prints_the_same_streamed_or_loaded(
    run_both: RunBoth, synthetic: str, policy: str, options: list[str]
) -> None:
    streamed, loaded = run_both(synthetic, *[policy if o == "POLICY" else o for o in options])
    assert streamed == loaded
    assert streamed[0] == 0


def test_an_owner_of_a_generated_portfolio(run_both: RunBoth, synthetic: str) -> None:
    owner = load_portfolio(synthetic).portfolio.files[account_id(1)].account.owner
    streamed, loaded = run_both(synthetic, "--owner", owner, "--format", "json")
    assert streamed == loaded
    assert {f["owner"] for f in json.loads(streamed[1])["findings"]} == {owner}


@pytest.mark.parametrize(
    "order",
    [
        ["format", "version", "exported_at", "staff", "accounts", "reports"],
        ["accounts", "format", "version", "exported_at", "staff", "reports"],
        ["format", "version", "staff", "reports", "accounts", "exported_at"],
    ],
    ids=["reports-last", "accounts-first", "exported_at-last"],
)
def test_members_after_the_accounts_make_the_stream_hold_them_with_the_same_output(
    run_both: RunBoth, tmp_path: Path, order: list[str]
) -> None:
    source = write_document(tmp_path / "held.json", sample_document(), order)
    streamed, loaded = run_both(source, "--format", "json", "--owner", "wang-lei")
    assert streamed == loaded
    assert streamed[0] == 0


def test_without_exported_at_a_given_moment_prints_the_same(
    run_both: RunBoth, tmp_path: Path
) -> None:
    document = sample_document()
    del document["exported_at"]
    source = write_document(tmp_path / "no-export.json", document)
    streamed, loaded = run_both(source, "--as-of", "2026-11-20", "--format", "json")
    assert streamed == loaded
    assert streamed[0] == 0


def test_without_exported_at_the_review_is_as_of_now(run_both: RunBoth, tmp_path: Path) -> None:
    document = sample_document()
    del document["exported_at"]
    source = write_document(tmp_path / "no-export.json", document)
    before = datetime.now(UTC)
    streamed, loaded = run_both(source, "--format", "json")
    assert streamed[0] == loaded[0] == 0
    as_of = datetime.fromisoformat(json.loads(streamed[1])["as_of"])
    assert before <= as_of <= datetime.now(UTC)


@pytest.mark.parametrize(
    "options",
    [
        ["--owner", "nobody"],
        ["--owner", "nobody", "--policy", "no-such-policy.toml"],
        ["--policy", "no-such-policy.toml", "--rules", "no-such-rules.toml"],
        ["--rules", "no-such-rules.toml"],
    ],
    ids=" ".join,
)
def test_option_errors_are_the_same_and_come_in_the_same_order(
    run_both: RunBoth, options: list[str]
) -> None:
    streams = options[:2] == ["--owner", "nobody"] and len(options) == 2
    streamed, loaded = run_both(SAMPLE_PORTFOLIO, *options, streams=streams)
    assert streamed == loaded
    assert streamed[:2] == (cli.EXIT_ERROR, "")
    assert streamed[2].startswith("kamcore: error: ")


def test_other_sources_and_collect_are_loaded(run_both: RunBoth, tmp_path: Path) -> None:
    for argv in (
        [f"file:{SAMPLE_PORTFOLIO}"],
        [SAMPLE_PORTFOLIO, "--collect"],
        [str(tmp_path / "missing.json")],
        [str(tmp_path)],
    ):
        streamed, loaded = run_both(*argv, streams=False)
        assert streamed == loaded


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    spec=st.builds(
        SyntheticSpec,
        accounts=st.integers(1, 8),
        events_per_account=st.just(8),
        seed=st.integers(0, 10_000),
    ),
    days_before_export=st.integers(0, 120),
    output=st.sampled_from(["table", "json", "markdown"]),
)
def test_any_generated_portfolio_and_moment_print_the_same(
    run_both: RunBoth,
    tmp_path: Path,
    spec: SyntheticSpec,
    days_before_export: int,
    output: str,
) -> None:
    path = tmp_path / f"portfolio-{spec.accounts}-{spec.seed}.json"
    with path.open("w", encoding="utf-8") as stream:
        write_synthetic_portfolio(spec, stream)
    as_of = (spec.exported_at - timedelta(days=days_before_export)).isoformat()
    streamed, loaded = run_both(str(path), "--format", output, "--as-of", as_of)
    assert streamed == loaded
    assert streamed[0] == 0


# The library pieces the command is made of.


@pytest.mark.parametrize("accounts_first", [False, True], ids=["streamed", "held"])
def test_review_portfolio_stream_shows_each_account_once_with_its_open_findings(
    accounts_first: bool,
) -> None:
    portfolio = load_portfolio(SAMPLE_PORTFOLIO).portfolio
    as_of = portfolio.exported_at
    assert as_of is not None
    expected = review(portfolio, as_of)
    document = sample_document()
    order = sorted(document, key=lambda key: key != "accounts") if accounts_first else None
    seen: list[tuple[str, tuple[Finding, ...], datetime]] = []

    def each(client: ClientFile, findings: tuple[Finding, ...], moment: datetime) -> None:
        assert client == portfolio.files[client.id]  # every record is there
        seen.append((client.id, findings, moment))

    text = json.dumps({k: document[k] for k in order or document}, ensure_ascii=False)
    streamed = review_portfolio_stream(io.StringIO(text), source="t", each_review=each)
    assert streamed.agenda == expected
    assert [account_id for account_id, _, _ in seen] == list(portfolio.files)
    assert {moment for _, _, moment in seen} == {as_of}
    found = sorted((f for _, findings, _ in seen for f in findings), key=lambda f: f.key)
    assert found == sorted(expected.findings, key=lambda f: f.key)
    assert streamed.portfolio.staff == portfolio.staff
    assert [c.account.name for c in streamed.portfolio] == [c.account.name for c in portfolio]


def test_review_portfolio_stream_takes_the_default_moment_only_without_exported_at() -> None:
    document = sample_document()
    exported_at = datetime.fromisoformat(document["exported_at"])
    later = exported_at + timedelta(days=3)
    text = json.dumps(document, ensure_ascii=False)
    streamed = review_portfolio_stream(io.StringIO(text), source="t", default_as_of=later)
    assert streamed.agenda.as_of == exported_at
    del document["exported_at"]
    text = json.dumps(document, ensure_ascii=False)
    streamed = review_portfolio_stream(io.StringIO(text), source="t", default_as_of=later)
    assert streamed.agenda.as_of == later
    with pytest.raises(ValueError, match="no exported_at"):
        review_portfolio_stream(io.StringIO(text), source="t")


def test_escalate_with_opened_moments_and_staff_is_escalate_with_the_portfolio() -> None:
    portfolio = load_portfolio(SAMPLE_PORTFOLIO).portfolio
    as_of = portfolio.exported_at
    assert as_of is not None
    agenda = review(portfolio, as_of)
    opened = {f.key: opened_at(f, portfolio.files[f.account_id], as_of) for f in agenda.findings}
    policy = load_policy()
    expected = escalate(agenda, policy, portfolio=portfolio)
    assert escalate(agenda, policy, opened=opened, staff=portfolio.staff) == expected
    assert escalate(agenda, policy, opened=opened, staff=list(portfolio.staff)) == expected
    # The moments are what escalations are made of: a later one changes them.
    later = {key: moment + timedelta(days=1) for key, moment in opened.items()}
    assert escalate(agenda, policy, opened=later, staff=portfolio.staff) != expected


def test_escalate_wants_a_portfolio_or_opened_moments_and_staff() -> None:
    portfolio = load_portfolio(SAMPLE_PORTFOLIO).portfolio
    as_of = portfolio.exported_at
    assert as_of is not None
    agenda = review(portfolio, as_of)
    forms: list[dict[str, Any]] = [
        {},
        {"opened": {}},
        {"staff": portfolio.staff},
        {"portfolio": portfolio, "opened": {}, "staff": portfolio.staff},
    ]
    for form in forms:
        with pytest.raises(TypeError, match="either portfolio= or both opened= and staff="):
            escalate(agenda, **form)
    first = agenda.findings[0].key
    with pytest.raises(ValueError, match=f"no moment for the open finding {first!r}"):
        escalate(agenda, opened={}, staff=portfolio.staff)


def test_escalator_gives_each_escalation_of_escalate_one_at_a_time() -> None:
    portfolio = load_portfolio(SAMPLE_PORTFOLIO).portfolio
    as_of = portfolio.exported_at
    assert as_of is not None
    agenda = review(portfolio, as_of)
    policy = load_policy()
    opened = {f.key: opened_at(f, portfolio.files[f.account_id], as_of) for f in agenda.findings}
    expected = escalate(agenda, policy, portfolio=portfolio)
    for each in (
        escalator(agenda, policy, portfolio=portfolio),
        escalator(agenda, policy, opened=opened, staff=portfolio.staff),
    ):
        assert tuple(map(each.escalation, reversed(agenda.findings))) == expected[::-1]
    # Asked about a finding it has no moment for (not open in its agenda), it says so.
    snoozed = agenda.snoozed[0]
    with pytest.raises(ValueError, match=f"no moment for the open finding {snoozed.key!r}"):
        each.escalation(snoozed)


def test_escalator_refuses_what_escalate_refuses_at_once() -> None:
    portfolio = load_portfolio(SAMPLE_PORTFOLIO).portfolio
    as_of = portfolio.exported_at
    assert as_of is not None
    agenda = review(portfolio, as_of)
    with pytest.raises(TypeError, match="either portfolio= or both opened= and staff="):
        escalator(agenda, opened={})  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="no moment for the open finding"):
        escalator(agenda, opened={}, staff=portfolio.staff)


# Progress on a terminal while a file is reviewed.


class Terminal(io.StringIO):
    """What a terminal is to the command: a stream whose isatty() is true."""

    def isatty(self) -> bool:
        return True


def _review_args(*argv: str) -> Any:
    return cli.build_parser().parse_args(["review", *argv])


@pytest.mark.parametrize("accounts_first", [False, True], ids=["streamed", "held"])
def test_a_terminal_is_told_every_account_reviewed_then_the_line_goes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, synthetic: str, accounts_first: bool
) -> None:
    monkeypatch.setattr(review_module, "_PROGRESS_EVERY", 0.0)
    path = Path(synthetic)
    if accounts_first:  # the accounts are reviewed once the whole file is read
        document = json.loads(path.read_text(encoding="utf-8"))
        path = Path(write_document(tmp_path / "held.json", document, ["accounts", *document]))
    terminal = Terminal()
    shown = review_module.streamed_review(_review_args(str(path)), path, progress=terminal)
    quiet = review_module.streamed_review(_review_args(str(path)), path)
    assert shown is not None
    assert quiet is not None
    assert shown.agenda == quiet.agenda
    *updates, last = terminal.getvalue().split("\r")[1:]
    width = max(len(update) for update in updates)
    assert updates[-1] == " " * width  # the line is cleared
    assert last == ""
    progress = [update.split(", ") for update in updates[:-1]]
    assert [words[0] for words in progress] == [
        f"reviewing: {n} account{'s' if n > 1 else ''}" for n in range(1, 21)
    ]
    read = [int(words[1].removesuffix("% of the file read")) for words in progress]
    assert read == sorted(read)
    assert 0 < read[-1] <= 100
    if accounts_first:
        assert set(read) == {100}
    assert all(words[2].rstrip().endswith(" s") for words in progress)


def test_the_progress_line_is_updated_once_a_second_at_most(
    monkeypatch: pytest.MonkeyPatch, synthetic: str
) -> None:
    ticks = iter(range(1000))

    class Clock:
        @staticmethod
        def monotonic() -> float:
            return next(ticks) * 0.4  # 0.4 s per account

    monkeypatch.setattr(review_module, "time", Clock)
    terminal = Terminal()
    path = Path(synthetic)
    review_module.streamed_review(_review_args(synthetic), path, progress=terminal)
    updates = terminal.getvalue().split("\r")[1:-2]
    # Started at 0 s; 0.4 s later each: accounts 3 (1.2 s), 6 (2.4 s), 9 (3.6 s), …
    assert [update.split(",")[0] for update in updates] == [
        f"reviewing: {n} accounts" for n in (3, 6, 9, 12, 15, 18)
    ]
    assert updates[0].rstrip().endswith(", 1 s")
    assert updates[-1].rstrip().endswith(", 7 s")


def test_nothing_is_shown_on_a_stream_that_is_no_terminal(synthetic: str) -> None:
    stream = io.StringIO()
    review_module.streamed_review(_review_args(synthetic), Path(synthetic), progress=stream)
    assert stream.getvalue() == ""


def test_kamcore_review_shows_progress_on_a_terminal_and_prints_the_same(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], synthetic: str
) -> None:
    monkeypatch.setattr(review_module, "_PROGRESS_EVERY", 0.0)
    assert cli.main(["review", synthetic, "--format", "json"]) == 0
    quiet = capsys.readouterr()
    assert quiet.err == ""
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert cli.main(["review", synthetic, "--format", "json"]) == 0
    assert capsys.readouterr().out == quiet.out
    assert terminal.getvalue().startswith("\rreviewing: 1 account, ")
    assert terminal.getvalue().endswith("\r")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=30,
)


@settings(max_examples=60)
@given(value=JSON, block=st.integers(1, 40))
def test_json_blocks_print_the_text_of_json_dumps(value: Any, block: int) -> None:
    blocks = list(json_blocks(value, block))
    text = json.dumps(value, ensure_ascii=False, indent=2)
    assert "\n".join(blocks) == text
    assert (len(blocks) > 1) == (len(text) >= block and "\n" in text)  # it does cut
