"""``kamcore accounts``, ``show``, ``classify`` and ``notices`` read a JSON file one
account at a time, and print what a load of it prints: every format and option,
and the same errors.

Each command case runs twice: as it runs (streamed), and with the stream turned
off (loaded, the path every other source takes); the two must agree byte for byte
(see ``stream_support.both_paths``).
"""

from __future__ import annotations

import importlib
import io
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kamcore import SAMPLE_PORTFOLIO, cli, load_portfolio
from kamcore.classification import DEFAULT_RULES, load_classifier
from kamcore.cli._accounts import account_summary
from kamcore.cli._accounts_read import loaded_accounts, streamed_accounts
from kamcore.fileformat import decode_portfolio_stream
from kamcore.model import ClientFile
from kamcore.synthetic import SyntheticSpec, account_id, write_synthetic_portfolio
from stream_support import BAD_SOURCES, RunBoth, both_paths, sample_document, write_document

# Not ``import kamcore.cli._review``: the package's ``_review`` is the command function.
review_module = importlib.import_module("kamcore.cli._review")

COMMANDS = ("accounts", "show", "classify", "notices", "escalate")

OPTIONS: dict[str, list[list[str]]] = {
    "accounts": [
        [],
        ["--format", "json"],
        ["--as-of", "2026-06-01"],
        ["--format", "json", "--as-of", "2026-10-15T09:30+08:00"],
    ],
    "show": [
        ["--format", "table"],
        ["--format", "json"],
        ["--as-of", "2026-09-01"],
        ["--format", "json", "--as-of", "2026-10-15T09:30+08:00"],
    ],
    "classify": [
        [],
        ["--format", "json"],
        ["--explain"],
        ["--explain", "--as-of", "2026-06-01", "--rules", str(DEFAULT_RULES)],
        ["--format", "json", "--explain", "--as-of", "2026-10-15T09:30+08:00"],
    ],
    "notices": [
        [],
        ["--format", "json"],
        ["--lang", "zh"],
        ["--format", "json", "--as-of", "2026-10-01", "--rules", str(DEFAULT_RULES)],
        ["--lang", "ru", "--as-of", "2026-11-01T12:00+03:00"],
    ],
    "escalate": [
        [],
        ["--format", "json"],
        ["--lang", "uk"],
        ["--format", "json", "--as-of", "2026-11-01T12:00+03:00", "--rules", str(DEFAULT_RULES)],
    ],
}
"""The options each command is run with, on the sample and on a generated portfolio."""

SPEC = SyntheticSpec(accounts=16, events_per_account=10)
"""A small generated portfolio (its accounts' ids from :func:`kamcore.synthetic.account_id`)."""


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("generated") / "portfolio.json"
    with path.open("w", encoding="utf-8") as stream:
        write_synthetic_portfolio(SPEC, stream)
    return str(path)


def _runner(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[Any, Any]]:
    """``run(source, *options, streams=True)`` of *command*: ``show`` shows *account*."""
    run = both_paths(command, monkeypatch, capsys)

    def run_command(
        source: str, *options: str, account: str = "KA-001", streams: bool = True
    ) -> tuple[Any, Any]:
        if command == "show":
            return run(account, source, *options, streams=streams)
        return run(source, *options, streams=streams)

    return run_command


@pytest.fixture(params=COMMANDS)
def command(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def run_both(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[Any, Any]]:
    """Run ``kamcore COMMAND`` streamed, then loaded; check which paths ran."""
    return _runner(command, monkeypatch, capsys)


# Streamed and loaded print the same.


@pytest.mark.parametrize(
    ("command", "options"),
    [(command, options) for command in COMMANDS for options in OPTIONS[command]],
    ids=lambda value: " ".join(value) if isinstance(value, list) else value,
)
def test_the_sample_prints_the_same_streamed_or_loaded(
    run_both: RunBoth, command: str, options: list[str]
) -> None:
    streamed, loaded = run_both(SAMPLE_PORTFOLIO, *options)
    assert streamed == loaded
    assert streamed[0] == 0
    assert streamed[2] == ""
    assert streamed[1].strip()
    if command not in ("notices", "escalate"):  # these list some accounts only
        assert "KA-001" in streamed[1]


@pytest.mark.parametrize("output", ["table", "json"])
def test_a_generated_portfolio_prints_the_same_streamed_or_loaded(
    run_both: RunBoth, command: str, generated: str, output: str
) -> None:
    options = ["--format", "text" if command == "notices" and output == "table" else output]
    if command == "classify" and output == "table":
        options.append("--explain")  # the table is the sample's case
    streamed, loaded = run_both(generated, *options, account=account_id(SPEC.accounts - 1))
    assert streamed == loaded
    assert streamed[0] == 0
    if command == "notices":
        assert "notice." not in streamed[1]  # every text found in a catalog
        assert streamed[1] != "No written notices are due.\n"


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    spec=st.builds(
        SyntheticSpec,
        accounts=st.integers(1, 6),
        events_per_account=st.just(6),
        seed=st.integers(0, 10_000),
    ),
    days_before_export=st.integers(0, 120),
)
def test_any_generated_portfolio_and_moment_give_each_command_the_same_accounts(
    tmp_path: Path, spec: SyntheticSpec, days_before_export: int
) -> None:
    text = io.StringIO()
    write_synthetic_portfolio(spec, text)
    document = json.loads(text.getvalue())
    portfolio = decode_portfolio_stream(io.StringIO(text.getvalue()), source="t").portfolio
    as_of = spec.exported_at - timedelta(days=days_before_export)
    path = tmp_path / "generated.json"
    args = cli.build_parser().parse_args(["accounts", str(path), "--as-of", as_of.isoformat()])

    def start() -> Callable[[ClientFile, datetime], tuple[str, datetime, dict[str, Any]]]:
        return lambda client, moment: (client.id, moment, account_summary(client))

    for order in (None, ["accounts", *document]):  # the moment known first, or held
        write_document(path, document, order)
        streamed = streamed_accounts(args, path, start)
        assert streamed is not None
        assert streamed.kept == loaded_accounts(portfolio.as_of(as_of), as_of, start).kept
        assert streamed.moment == as_of


# What a streamed command holds.


def test_show_holds_its_account_and_of_the_others_only_who_they_are(generated: str) -> None:
    wanted = account_id(3)
    args = cli.build_parser().parse_args(["show", wanted, generated])
    read = streamed_accounts(
        args, Path(generated), lambda: lambda client, _: client if client.id == wanted else None
    )
    assert read is not None
    [client] = read.kept
    loaded = load_portfolio(generated).portfolio
    assert loaded.exported_at is not None
    assert client == loaded[wanted].as_of(loaded.exported_at)
    assert client.timeline.events
    assert list(read.portfolio.files) == list(loaded.files)
    assert read.portfolio.staff == loaded.staff
    for stub in read.portfolio:
        assert (stub.transactions, stub.timeline.events, stub.account.contacts) == ((), (), ())
        assert (stub.account.name, stub.account.owner) == (
            loaded[stub.id].account.name,
            loaded[stub.id].account.owner,
        )


def test_notices_are_drafted_account_by_account_while_the_file_is_read(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], generated: str
) -> None:
    notices_module = importlib.import_module("kamcore.cli._notices")
    drafted_for: list[str] = []
    real = notices_module.draft_account_notices

    def drafting(client: ClientFile, findings: Any, **options: Any) -> Any:
        drafted_for.append(client.id)
        return real(client, findings, **options)

    monkeypatch.setattr(notices_module, "draft_account_notices", drafting)
    assert cli.main(["notices", generated, "--format", "json"]) == 0
    drafted = {draft["account_id"] for draft in json.loads(capsys.readouterr().out)}
    assert drafted <= set(drafted_for)
    # Once per account a notice may be drafted for, and not for the others.
    assert len(drafted_for) == len(set(drafted_for))
    assert 0 < len(drafted_for) < SPEC.accounts


# The moment, and the files a stream refuses.


@pytest.mark.parametrize("accounts_first", [False, True], ids=["export-first", "accounts-first"])
def test_exported_at_before_or_after_the_accounts_prints_the_same(
    run_both: RunBoth, command: str, tmp_path: Path, accounts_first: bool
) -> None:
    document = sample_document()
    order = ["accounts", *document] if accounts_first else [*document, "accounts"]
    source = write_document(tmp_path / "ordered.json", document, order)
    streamed, loaded = run_both(source, "--format", "json")
    assert streamed == loaded
    assert streamed[0] == 0


def test_exported_at_given_again_after_the_accounts_is_loaded(
    run_both: RunBoth, command: str, tmp_path: Path
) -> None:
    document = sample_document()
    text = json.dumps(document, ensure_ascii=False)
    path = tmp_path / "again.json"
    path.write_text(text[:-1] + ', "exported_at": "2026-10-01T00:00:00+00:00"}', "utf-8")
    streamed, loaded = run_both(str(path), "--format", "json", streams=False)
    assert streamed == loaded
    assert streamed[0] == 0
    # The same instant in another offset is not the moment the accounts were shown at.
    exported_at = datetime.fromisoformat(document["exported_at"])
    elsewhere = exported_at.astimezone(timezone(timedelta(hours=5))).isoformat()
    path.write_text(text[:-1] + f', "exported_at": "{elsewhere}"}}', "utf-8")
    streamed, loaded = run_both(str(path), streams=False)
    assert streamed == loaded
    if command in ("show", "escalate"):
        assert f"as of {elsewhere.replace('T', ' ')[:16]}" in streamed[1]


def test_without_exported_at_the_accounts_are_as_of_now(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    document = sample_document()
    del document["exported_at"]
    source = write_document(tmp_path / "no-export.json", document)
    streamed, loaded = _runner("accounts", monkeypatch, capsys)(source)
    assert streamed == loaded
    assert streamed[0] == 0
    before = datetime.now(UTC)
    shown = _runner("show", monkeypatch, capsys)(source)[0]
    moment = datetime.fromisoformat(shown[1].splitlines()[1].removeprefix("as of "))
    assert before - timedelta(minutes=1) <= moment <= datetime.now(UTC)


# What every command that streams does with a source it does not stream.

STREAMING = ("review", "report", *COMMANDS)
"""Every command that reads a plain-path JSON file as it streams."""


@pytest.mark.parametrize("command", STREAMING)
@pytest.mark.parametrize("make", BAD_SOURCES.values(), ids=BAD_SOURCES.keys())
def test_a_file_the_stream_refuses_is_loaded_for_the_same_answer(
    run_both: RunBoth, command: str, tmp_path: Path, make: Callable[[Path], str]
) -> None:
    source = make(tmp_path / "bad.json")
    streamed, loaded = run_both(source, streams=False)
    assert streamed == loaded
    if make is not BAD_SOURCES["staff-again"]:
        assert streamed[:2] == (cli.EXIT_ERROR, "")
        assert streamed[2].startswith(f"kamcore: error: {source}")


@pytest.mark.parametrize("command", ["review", "report", "classify", "notices", "escalate"])
def test_a_rule_set_that_fails_while_reading_gives_the_same_error(
    run_both: RunBoth, tmp_path: Path
) -> None:
    rules = tmp_path / "eur-only.toml"
    rules.write_text(
        DEFAULT_RULES.read_text(encoding="utf-8").replace("CNY = 7.8\n", ""), encoding="utf-8"
    )
    streamed, loaded = run_both(SAMPLE_PORTFOLIO, "--rules", str(rules), streams=False)
    assert streamed == loaded
    assert streamed[:2] == (cli.EXIT_ERROR, "")


@pytest.mark.parametrize("command", STREAMING)
def test_a_disabled_file_adapter_leaves_the_source_to_the_other_plugins(
    run_both: RunBoth, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAMCORE_DISABLE_PLUGINS", "files")
    streamed, loaded = run_both(SAMPLE_PORTFOLIO, streams=False)
    assert streamed == loaded
    assert streamed[0] == cli.EXIT_ERROR


def test_show_of_an_unknown_account_says_so_as_a_load_does(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    streamed, loaded = _runner("show", monkeypatch, capsys)(SAMPLE_PORTFOLIO, account="KA-999")
    assert streamed == loaded
    assert streamed[:2] == (cli.EXIT_ERROR, "")
    assert streamed[2].startswith("kamcore: error: no account with id 'KA-999'")


@pytest.mark.parametrize("command", ["classify", "notices"])
@pytest.mark.parametrize("bad_source", [False, True], ids=["good-source", "bad-source"])
def test_an_unreadable_rule_set_is_reported_after_the_source(
    run_both: RunBoth, tmp_path: Path, bad_source: bool
) -> None:
    source = BAD_SOURCES["bad-record"](tmp_path / "bad.json") if bad_source else SAMPLE_PORTFOLIO
    streamed, loaded = run_both(source, "--rules", "no-such-rules.toml", streams=False)
    assert streamed == loaded
    assert streamed[:2] == (cli.EXIT_ERROR, "")
    assert (source in streamed[2]) == bad_source
    assert ("no-such-rules.toml" in streamed[2]) != bad_source


def test_other_sources_and_collect_are_loaded(
    run_both: RunBoth, tmp_path: Path, generated: str
) -> None:
    csv_named = tmp_path / "portfolio.csv"
    csv_named.write_bytes(Path(generated).read_bytes())
    for argv in (
        [f"file:{SAMPLE_PORTFOLIO}"],
        [SAMPLE_PORTFOLIO, "--collect"],
        [str(csv_named)],
        [str(tmp_path / "missing.json")],
        [str(tmp_path)],
    ):
        streamed, loaded = run_both(*argv, streams=False)
        assert streamed == loaded


def test_collect_lists_what_it_quarantined_on_stderr_only_when_loaded(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = BAD_SOURCES["bad-record"](tmp_path / "bad.json")
    streamed, loaded = _runner("accounts", monkeypatch, capsys)(source, "--collect", streams=False)
    assert streamed == loaded
    assert streamed[0] == 0
    assert streamed[2] != ""  # the record left out, listed
    assert _runner("accounts", monkeypatch, capsys)(SAMPLE_PORTFOLIO)[0][2] == ""


# Progress on a terminal.


class Terminal(io.StringIO):
    """What a terminal is to the command: a stream whose isatty() is true."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("argv", "doing"),
    [
        (["accounts", SAMPLE_PORTFOLIO], "reading"),
        (["show", "KA-002", SAMPLE_PORTFOLIO], "reading"),
        (["classify", SAMPLE_PORTFOLIO, "--format", "json"], "classifying"),
        (["notices", SAMPLE_PORTFOLIO], "reviewing"),
    ],
    ids=lambda value: value if isinstance(value, str) else value[0],
)
def test_a_terminal_is_told_every_account_then_the_line_goes(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    doing: str,
) -> None:
    monkeypatch.setattr(review_module, "_PROGRESS_EVERY", 0.0)
    assert cli.main(argv) == 0
    quiet = capsys.readouterr()
    assert quiet.err == ""
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert cli.main(argv) == 0
    assert capsys.readouterr().out == quiet.out
    *updates, last = terminal.getvalue().split("\r")[1:]
    assert last == ""
    assert updates[-1].strip() == ""  # the line is cleared
    count = len(load_portfolio(SAMPLE_PORTFOLIO).portfolio)
    assert [update.split(", ")[0] for update in updates[:-1]] == [
        f"{doing}: {n} account{'s' if n > 1 else ''}" for n in range(1, count + 1)
    ]


# classify --format json, written a result at a time.


@pytest.mark.parametrize("empty", [False, True], ids=["sample", "no-accounts"])
def test_classify_json_is_the_text_of_json_dumps(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, empty: bool
) -> None:
    document = sample_document()
    if empty:
        document["accounts"] = document["reports"] = []
    source = write_document(tmp_path / "portfolio.json", document)
    portfolio = load_portfolio(source).portfolio
    assert portfolio.exported_at is not None
    results = load_classifier().classify_portfolio(portfolio, portfolio.exported_at)
    expected = json.dumps([r.as_dict() for r in results.values()], ensure_ascii=False, indent=2)
    assert cli.main(["classify", source, "--format", "json"]) == 0
    assert capsys.readouterr().out == expected + "\n"
