"""``kamcore report`` of a JSON file reads it one account at a time, and prints what a
load followed by the report prints: every format and option, and the same errors.

The library function it stands on, :func:`kamcore.report.department_head_report_stream`,
gives the report :func:`~kamcore.report.department_head_report` gives for the loaded
portfolio (attrs equality of the whole report). Each command case runs twice: as it
runs (streamed), and with the stream turned off (loaded, the path every other source
takes); the two must agree byte for byte.
"""

from __future__ import annotations

import importlib
import io
import json
import sys
import tomllib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kamcore import SAMPLE_PORTFOLIO, cli, load_portfolio
from kamcore.classification import DEFAULT_RULES, load_classifier
from kamcore.cli._report_stream import report_document, report_json, report_parts
from kamcore.errors import PortfolioFormatError
from kamcore.escalation import load_policy, parse_policy
from kamcore.fileformat import decode_portfolio_stream
from kamcore.i18n import messages
from kamcore.model import ClientFile
from kamcore.report import (
    PERIODS,
    DepartmentHeadReport,
    department_head_report,
    department_head_report_stream,
)
from kamcore.review import Finding
from kamcore.synthetic import SyntheticSpec, write_synthetic_portfolio
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
    { name = "sponsor", role = "executive" },
]

[escalation.delays]
warning = { business_days = 3 }
violation = { business_days = 1 }

[calendar]
time_zone = "Europe/Sofia"
holidays = { country = "BG" }
"""
"""A ladder whose findings climb fast, with public holidays: escalations to compare."""

GENERATED = SyntheticSpec(accounts=200, events_per_account=10, seed=0)
"""A generated portfolio with key accounts whose tier changed within the month."""


def _generated_text(spec: SyntheticSpec) -> str:
    text = io.StringIO()
    write_synthetic_portfolio(spec, text)
    return text.getvalue()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("generated") / "portfolio.json"
    path.write_text(_generated_text(GENERATED), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def policy_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("policy") / "policy.toml"
    path.write_text(POLICY, encoding="utf-8")
    return str(path)


def _streamed(text: str, as_of: datetime | None = None, **options: Any) -> DepartmentHeadReport:
    return department_head_report_stream(io.StringIO(text), as_of, source="t", **options)


def _loaded(text: str, as_of: datetime | None = None, **options: Any) -> DepartmentHeadReport:
    portfolio = decode_portfolio_stream(io.StringIO(text), source="t").portfolio
    moment = as_of if as_of is not None else portfolio.exported_at
    assert moment is not None
    return department_head_report(portfolio, moment, **options)


# The library function.


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("accounts_first", [False, True], ids=["streamed", "held"])
def test_the_sample_report_streamed_is_the_loaded_one(period: str, accounts_first: bool) -> None:
    document = sample_document()
    order = sorted(document, key=lambda key: key != "accounts") if accounts_first else None
    text = json.dumps({k: document[k] for k in order or document}, ensure_ascii=False)
    options: dict[str, Any] = {"period": period, "policy": load_policy()}
    report = _streamed(text, **options)
    assert report == _loaded(text, **options)
    assert report.accounts
    assert report.escalations  # the opened moments, read while streaming, show here


def test_a_generated_report_with_tier_changes_and_holidays_is_the_loaded_one() -> None:
    text = _generated_text(GENERATED)
    options: dict[str, Any] = {
        "period": "month",
        "policy": parse_policy(tomllib.loads(POLICY)),
        "classifier": load_classifier(),
    }
    report = _streamed(text, **options)
    assert report == _loaded(text, **options)
    assert any(entry.tier_changed for entry in report.accounts)
    assert any(entry.escalation.level == 2 for entry in report.escalations)
    assert {entry.account_id for entry in report.escalations} <= report.account_ids()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    spec=st.builds(
        SyntheticSpec,
        accounts=st.integers(1, 25),
        events_per_account=st.integers(1, 10),
        seed=st.integers(0, 10_000),
    ),
    days_before_export=st.integers(0, 200),
    period=st.sampled_from(PERIODS),
)
def test_any_generated_portfolio_moment_and_period_give_the_loaded_report(
    spec: SyntheticSpec, days_before_export: int, period: str
) -> None:
    text = _generated_text(spec)
    as_of = spec.exported_at - timedelta(days=days_before_export)
    options: dict[str, Any] = {"period": period, "policy": parse_policy(tomllib.loads(POLICY))}
    assert _streamed(text, as_of, **options) == _loaded(text, as_of, **options)


def test_a_document_without_accounts_gives_an_empty_report() -> None:
    document = sample_document()
    document["accounts"] = []
    document["reports"] = []
    text = json.dumps(document, ensure_ascii=False)
    report = _streamed(text)
    assert report == _loaded(text)
    assert report.accounts == ()
    assert report.escalations == ()


def test_without_exported_at_the_default_moment_is_the_report_s() -> None:
    document = sample_document()
    exported_at = datetime.fromisoformat(document.pop("exported_at"))
    text = json.dumps(document, ensure_ascii=False)
    report = _streamed(text, default_as_of=exported_at)
    assert report.as_of == exported_at
    assert report == _loaded(text, exported_at)
    with pytest.raises(ValueError, match="no exported_at"):
        _streamed(text)


def test_each_review_sees_every_account_after_the_report_took_it() -> None:
    portfolio = load_portfolio(SAMPLE_PORTFOLIO).portfolio
    seen: list[tuple[str, int]] = []

    def each(client: ClientFile, findings: tuple[Finding, ...], moment: datetime) -> None:
        assert moment == portfolio.exported_at
        seen.append((client.id, len(findings)))

    with open(SAMPLE_PORTFOLIO, encoding="utf-8-sig") as stream:
        report = department_head_report_stream(stream, source="t", each_review=each)
    assert report == department_head_report(portfolio, report.as_of)
    assert [account_id for account_id, _ in seen] == list(portfolio.files)
    assert sum(count for _, count in seen) > 0


class Unread(io.StringIO):
    """A stream that must not be read."""

    def read(self, size: int | None = -1) -> str:
        raise AssertionError("read")


@pytest.mark.parametrize(
    ("as_of", "period", "words"),
    [
        (datetime(2026, 11, 20, 9), "week", "time-zone-aware"),  # noqa: DTZ001 - naive on purpose
        (None, "year", "unknown report period 'year'"),
    ],
)
def test_a_naive_moment_or_unknown_period_is_refused_before_anything_is_read(
    as_of: datetime | None, period: str, words: str
) -> None:
    with pytest.raises(ValueError, match=words):
        department_head_report_stream(Unread(), as_of, source="t", period=period)
    # The load path refuses the same, in the same words (and no longer with a KeyError).
    portfolio = load_portfolio(SAMPLE_PORTFOLIO).portfolio
    with pytest.raises(ValueError, match=words):
        department_head_report(portfolio, as_of or datetime.now().astimezone(), period=period)


def test_an_invalid_record_refuses_the_document() -> None:
    document = sample_document()
    document["accounts"][-1]["transactions"][0]["amount"] = "lots"
    with pytest.raises(PortfolioFormatError):
        _streamed(json.dumps(document, ensure_ascii=False))


# The command's JSON, written an entry at a time.


def test_report_json_is_the_text_of_json_dumps_of_as_dict() -> None:
    text = _generated_text(GENERATED)
    sample = load_portfolio(SAMPLE_PORTFOLIO).portfolio
    assert sample.exported_at is not None
    reports = [
        department_head_report(sample, sample.exported_at),
        _loaded(text, period="month", policy=parse_policy(tomllib.loads(POLICY))),
        _loaded(json.dumps({**sample_document(), "accounts": [], "reports": []})),
    ]
    assert reports[1].escalations
    assert reports[2].accounts == ()
    for report in reports:
        expected = json.dumps(report.as_dict(), ensure_ascii=False, indent=2)
        assert "\n".join(report_json(report)) == expected


def test_report_parts_refuse_a_json_form_they_do_not_know(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sample = load_portfolio(SAMPLE_PORTFOLIO).portfolio
    assert sample.exported_at is not None
    report = department_head_report(sample, sample.exported_at)
    as_dict = DepartmentHeadReport.as_dict

    def renamed(self: DepartmentHeadReport) -> dict[str, Any]:
        values = as_dict(self)
        values["key_accounts"] = values.pop("accounts")
        return values

    monkeypatch.setattr(DepartmentHeadReport, "as_dict", renamed)
    with pytest.raises(TypeError, match="the report's JSON form has the members"):
        report_parts(report)


@pytest.mark.parametrize("lang", [None, "zh"])
def test_the_command_prints_and_writes_the_texts_of_as_markdown_as_dict_and_as_html(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, lang: str | None
) -> None:
    sample = load_portfolio(SAMPLE_PORTFOLIO).portfolio
    assert sample.exported_at is not None
    report = department_head_report(sample, sample.exported_at)
    texts = messages(lang) if lang is not None else None
    markdown = report.as_markdown(texts)
    assert "\n".join(report_document(report.markdown_lines(texts))) == markdown
    argv = ["report", SAMPLE_PORTFOLIO, *(["--lang", lang] if lang is not None else [])]
    assert cli.main(argv) == 0
    assert capsys.readouterr().out == markdown + "\n"  # print's newline after the text's own
    target = tmp_path / "report.md"
    assert cli.main([*argv, "--out", str(target)]) == 0
    assert capsys.readouterr().out == f"wrote {target}\n"
    assert target.read_text(encoding="utf-8") == markdown
    assert cli.main([*argv, "--format", "json"]) == 0
    document = json.dumps(report.as_dict(), ensure_ascii=False, indent=2)
    assert capsys.readouterr().out == document + "\n"
    page = report.as_html(texts)
    assert "\n".join(report_document(report.html_lines(texts))) == page
    assert cli.main([*argv, "--format", "html"]) == 0
    assert capsys.readouterr().out == page + "\n"
    assert cli.main([*argv, "--format", "html", "--out", str(target)]) == 0
    assert capsys.readouterr().out == f"wrote {target}\n"
    assert target.read_text(encoding="utf-8") == page


# The command: streamed and loaded print the same.


@pytest.fixture
def run_both(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> RunBoth:
    """Run ``kamcore report *argv`` streamed, then loaded; check which paths ran."""
    return both_paths("report", monkeypatch, capsys)


OPTIONS = [
    [],
    ["--format", "json"],
    ["--format", "html"],
    ["--format", "markdown", "--lang", "ru", "--period", "month"],
    ["--format", "html", "--lang", "zh"],
    ["--format", "json", "--as-of", "2026-10-15T09:30+08:00", "--rules", str(DEFAULT_RULES)],
    ["--period", "month", "--as-of", "2026-09-01", "--lang", "bg", "--policy", "POLICY"],
]


@pytest.mark.parametrize("options", OPTIONS, ids=" ".join)
def test_the_sample_prints_the_same_streamed_or_loaded(
    run_both: RunBoth, policy_file: str, options: list[str]
) -> None:
    argv = [policy_file if option == "POLICY" else option for option in options]
    streamed, loaded = run_both(SAMPLE_PORTFOLIO, *argv)
    assert streamed == loaded
    assert streamed[0] == 0
    assert "KA-001" in streamed[1]


@pytest.mark.parametrize("output", ["markdown", "json", "html"])
def test_a_generated_portfolio_prints_the_same_streamed_or_loaded(
    run_both: RunBoth, generated: str, policy_file: str, output: str
) -> None:
    argv = ["--format", output, "--period", "month", "--policy", policy_file]
    streamed, loaded = run_both(generated, *argv)
    assert streamed == loaded
    assert streamed[0] == 0
    if output == "json":
        document = json.loads(streamed[1])
        assert any(entry["tier_changed"] for entry in document["accounts"])
        assert document["escalations"]


def test_out_writes_the_same_file_streamed_or_loaded(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "report.md"
    argv = ["report", SAMPLE_PORTFOLIO, "--lang", "uk", "--out", str(target)]
    assert cli.main(argv) == 0
    streamed = target.read_bytes()
    target.unlink()
    with monkeypatch.context() as patch:
        patch.setattr(cli, "json_file_source", lambda args: None)
        assert cli.main(argv) == 0
    assert target.read_bytes() == streamed
    assert b"KA-001" in streamed
    assert capsys.readouterr() == (f"wrote {target}\nwrote {target}\n", "")


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
    streamed, loaded = run_both(source, "--format", "json")
    assert streamed == loaded
    assert streamed[0] == 0


@pytest.mark.parametrize(
    "options",
    [
        ["--policy", "no-such-policy.toml"],
        ["--rules", "no-such-rules.toml"],
        ["--policy", "no-such-policy.toml", "--rules", "no-such-rules.toml"],
    ],
    ids=" ".join,
)
def test_option_errors_are_the_same(run_both: RunBoth, options: list[str]) -> None:
    streamed, loaded = run_both(SAMPLE_PORTFOLIO, *options, streams=False)
    assert streamed == loaded
    assert streamed[:2] == (cli.EXIT_ERROR, "")
    assert streamed[2].startswith("kamcore: error: no-such-")


CSV_ACCOUNTS = (
    "id,name,owner,fact.brand_recognition,fact.annual_potential,fact.strategic_list\n"
    "KA-001,Acme Handel GmbH,u-anna,high,1000000,true\n"
    "KA-002,纷享贸易,u-boris,low,3,false\n"
)
"""Two accounts, the first key by the default rules."""


def test_csv_collect_uris_and_missing_files_are_loaded(run_both: RunBoth, tmp_path: Path) -> None:
    tables = tmp_path / "tables"
    tables.mkdir()
    (tables / "accounts.csv").write_text(CSV_ACCOUNTS, encoding="utf-8")
    at = ["--as-of", "2026-11-20"]  # a CSV export has no exported_at: not now, twice
    for argv in (
        [str(tables), *at],
        [str(tables / "accounts.csv"), "--format", "json", *at],
        [SAMPLE_PORTFOLIO, "--collect"],
        [f"file:{SAMPLE_PORTFOLIO}", "--format", "html"],
        [str(tmp_path / "missing.json")],
    ):
        streamed, loaded = run_both(*argv, streams=False)
        assert streamed == loaded
    assert "KA-001" in run_both(str(tables), *at, streams=False)[0][1]


class Terminal(io.StringIO):
    """What a terminal is to the command: a stream whose isatty() is true."""

    def isatty(self) -> bool:
        return True


def test_kamcore_report_shows_progress_on_a_terminal_and_prints_the_same(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(review_module, "_PROGRESS_EVERY", 0.0)
    assert cli.main(["report", SAMPLE_PORTFOLIO, "--format", "json"]) == 0
    quiet = capsys.readouterr()
    assert quiet.err == ""
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert cli.main(["report", SAMPLE_PORTFOLIO, "--format", "json"]) == 0
    assert capsys.readouterr().out == quiet.out
    shown = terminal.getvalue()
    assert shown.startswith("\rreviewing: 1 account, ")
    assert "reviewing: 45 accounts, 100% of the file read" in shown
    assert shown.endswith("\r")
