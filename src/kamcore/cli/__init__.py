"""The ``kamcore`` command line: look at a portfolio from the shell.

``kamcore accounts`` lists the accounts of a portfolio source, ``kamcore show``
prints one client file, ``kamcore classify`` classifies every account with a
rule set, ``kamcore review`` checks every account against the service
principles and prints the agenda, and ``kamcore rules check`` validates a rule
set. ``kamcore sync`` loads what changed in a source since the last sync,
``kamcore push`` creates the actions of a review in a sink (a CRM, a file) once
however often it runs, ``kamcore notices`` drafts the written notices to clients
that slipped promises and moved dates call for, ``kamcore escalate`` lists the
escalated findings and sends their holders a notice once, and ``kamcore plugins``
lists the installed plugins. ``--lang`` writes findings, reports and notices in
en, zh, ru, uk or bg.
``docs/cli.md`` describes every option and exit code.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Final, TypeVar

from kamcore import SAMPLE_PORTFOLIO, KamcoreError
from kamcore.classification import Classification, load_classifier
from kamcore.cli._accounts import account_row, account_summary, accounts_table
from kamcore.cli._accounts_read import (
    AccountsRead,
    EachAccount,
    loaded_accounts,
    streamed_accounts,
)
from kamcore.cli._classify import (
    classification_row,
    classification_table,
    classification_texts,
    classifications_json,
    rules_summary,
)
from kamcore.cli._clientfile import client_file_text
from kamcore.cli._escalate import (
    add_escalate_options,
    escalate_command,
    loaded_escalations,
    streamed_escalations,
)
from kamcore.cli._generate import add_generate_command, generate_command
from kamcore.cli._messages import error_lines
from kamcore.cli._moment import default_moment, parse_as_of
from kamcore.cli._notices import add_lang_option, notices_json, notices_text, streamed_notices
from kamcore.cli._render import json_blocks
from kamcore.cli._report_stream import (
    loaded_report,
    report_document,
    report_json,
    streamed_report,
)
from kamcore.cli._review import (
    agenda_json,
    agenda_markdown,
    agenda_table,
    loaded_review,
    streamed_review,
)
from kamcore.cli._source import json_file_source, load_source
from kamcore.cli._sync import (
    DEFAULT_LEDGER,
    DEFAULT_TENANT,
    LEDGER_ENV,
    installed_plugins,
    plugins_json,
    plugins_table,
    push_command,
    sync_command,
    tenant_name,
)
from kamcore.errors import UnknownAccountError
from kamcore.fileformat import encode_client_file
from kamcore.i18n import messages
from kamcore.model import ClientFile, Portfolio
from kamcore.notices import NoticeDraft, draft_notices
from kamcore.plugins import get_plugin_manager
from kamcore.review import review

__all__ = ["EXIT_ERROR", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

EXIT_OK: Final = 0
"""The command did its job."""
EXIT_ERROR: Final = 1
"""A kamcore error: the source is unreadable or invalid, or an account id is unknown;
or ``kamcore push`` could not create an action."""
EXIT_USAGE: Final = 2
"""The command line itself is wrong (argparse's own exit code)."""

_Kept = TypeVar("_Kept")
_Made = TypeVar("_Made")


def _version() -> str:
    try:
        return version("kamcore")
    except PackageNotFoundError:  # pragma: no cover - only in an uninstalled source tree
        return "unknown"


def _add_common_options(
    parser: argparse.ArgumentParser, formats: Sequence[str] = ("table", "json")
) -> None:
    parser.add_argument(
        "source",
        metavar="SOURCE",
        nargs="?",
        default=SAMPLE_PORTFOLIO,
        help="the portfolio to read: a JSON file, a folder of CSV tables or a plugin URI "
        "(default: the sample portfolio shipped with kamcore)",
    )
    parser.add_argument(
        "--format",
        choices=formats,
        default=formats[0],
        help=f"output format (default: {formats[0]})",
    )
    parser.add_argument(
        "--as-of",
        metavar="DATETIME",
        type=parse_as_of,
        help="show what was known at this moment: an ISO 8601 date (the end of that day, "
        "UTC) or a date-time with an offset (default: the portfolio's exported_at, else now)",
    )
    parser.add_argument(
        "--collect",
        action="store_true",
        help="keep the valid records of an invalid source and list the others on stderr "
        "(default: refuse the whole source)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``kamcore`` command with all its sub-commands."""
    parser = argparse.ArgumentParser(
        prog="kamcore", description="Key-account management: look at a portfolio of client files."
    )
    parser.add_argument("--version", action="version", version=f"kamcore {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    accounts = commands.add_parser(
        "accounts",
        help="list the accounts, one line each",
        description="List the accounts of a portfolio, one line each.",
    )
    _add_common_options(accounts)
    show = commands.add_parser(
        "show",
        help="print one client file",
        description="Print one client file: profile, transactions and timeline.",
    )
    show.add_argument("account_id", metavar="ACCOUNT_ID", help="the account to show, e.g. KA-001")
    _add_common_options(show)
    classify = commands.add_parser(
        "classify",
        help="classify every account with a rule set",
        description="Classify every account: tier, key or not, score; --explain says why.",
    )
    _add_common_options(classify)
    _add_rules_option(classify)
    classify.add_argument(
        "--explain",
        action="store_true",
        help="print each account's explanation instead of the table (with --format table)",
    )
    review_ = commands.add_parser(
        "review",
        help="check every account against the service principles",
        description="Check every account against the service principles as of a moment and "
        "print the agenda: findings per owner, by due time, and each account's health.",
    )
    _add_common_options(review_, formats=("table", "json", "markdown"))
    _add_rules_option(review_)
    _add_policy_option(review_)
    add_lang_option(review_, purpose="write findings, severities and actions in this language")
    review_.add_argument(
        "--owner",
        metavar="NAME",
        help="only the findings and accounts of this account manager (a staff id as in the "
        "accounts' owner, or a staff member's name)",
    )
    report = commands.add_parser(
        "report",
        help="the department-head report on every key account",
        description="The department-head report as of a moment: a line for every key account "
        '("no issues" too), health by owner, findings by principle.',
    )
    _add_common_options(report, formats=("markdown", "json", "html"))
    _add_rules_option(report)
    _add_policy_option(report)
    add_lang_option(
        report, purpose="write the report's headings, labels and states in this language"
    )
    report.add_argument(
        "--period",
        choices=("week", "month"),
        default="week",
        help="the reporting cadence: tier changes are counted since the previous report "
        "date (default: week, Mondays 09:00)",
    )
    report.add_argument(
        "--out", metavar="FILE", help="write the report to FILE instead of standard output"
    )
    notices = commands.add_parser(
        "notices",
        help="draft the written notices clients are owed",
        description="Review SOURCE and draft a written notice for every promise that slipped "
        "or agreed date that moved without one: explanation, apology and new date, in each "
        "contact's language. Slots the timeline cannot fill are left in brackets.",
    )
    _add_common_options(notices, formats=("text", "json"))
    notices.set_defaults(format="text")
    _add_rules_option(notices)
    add_lang_option(
        notices,
        purpose="write every notice in this language (default: each "
        "contact's own language, else English)",
    )
    escalate_ = commands.add_parser(
        "escalate",
        help="list escalated findings and send their notices",
        description="Review SOURCE, list every finding that has climbed above its owner and "
        "the notices the staff holding its levels are owed, in each one's language. With "
        "--send, send them through the installed channel plugins, each once however often "
        "this runs: the ledger remembers what was sent. Exit code 1 when any notice failed; "
        "the next run sends it again.",
    )
    _add_common_options(escalate_)
    _add_rules_option(escalate_)
    _add_policy_option(escalate_)
    _add_ledger_options(escalate_)
    add_escalate_options(escalate_)
    rules = commands.add_parser("rules", help="work with rule sets", description="Rule sets.")
    rules_commands = rules.add_subparsers(dest="rules_command", metavar="COMMAND", required=True)
    check = rules_commands.add_parser(
        "check",
        help="validate a rule set",
        description="Validate a rule set (with the metrics installed plugins provide) and "
        "summarise it.",
    )
    check.add_argument(
        "rules", metavar="FILE", nargs="?", help="a TOML or JSON rule set (default: the default)"
    )
    check.set_defaults(source=None, collect=False)
    _add_sync_commands(commands)
    add_generate_command(commands)
    return parser


def _add_ledger_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ledger",
        metavar="PATH",
        help=f"the SQLite ledger of actions pushed, sync cursors and synced portfolios "
        f"(default: ${LEDGER_ENV}, "
        f"else ./{DEFAULT_LEDGER})",
    )
    parser.add_argument(
        "--tenant",
        metavar="NAME",
        type=tenant_name,
        default=DEFAULT_TENANT,
        help=f"whose actions and cursors these are, e.g. a CRM organisation "
        f"(default: {DEFAULT_TENANT})",
    )


def _add_sync_commands(commands: Any) -> None:
    sync = commands.add_parser(
        "sync",
        help="load what changed in a source since the last sync",
        description="Load what changed in SOURCE since the last sync (the cursor the ledger "
        "kept), keep the new cursor and print a summary. A source whose plugin cannot load "
        "changes is loaded in full. Invalid records are quarantined and listed on stderr. "
        "Exit code 1 when the source stopped early (an API quota used up): what was read is "
        "kept and the next sync resumes from the cursor.",
    )
    sync.add_argument(
        "source", metavar="SOURCE", help="the source: a plugin URI (zoho:…), a file or folder"
    )
    start = sync.add_mutually_exclusive_group()
    start.add_argument(
        "--since",
        metavar="CURSOR",
        help="start from this cursor instead of the one the ledger kept",
    )
    start.add_argument("--full", action="store_true", help="ignore any cursor: load everything")
    _add_ledger_options(sync)
    sync.add_argument(
        "--strict",
        action="store_true",
        help="refuse the source if any record is invalid (default: quarantine invalid records)",
    )
    sync.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="show the source's progress on stderr (shown anyway when stderr is a terminal)",
    )
    # Quarantining is the default here, so errors never suggest --collect.
    sync.set_defaults(collect=True)
    push = commands.add_parser(
        "push",
        help="create the actions of a review in a sink",
        description="Review SOURCE and create one action (a task or a note) per open finding "
        "in SINK, each exactly once however often this runs: the ledger remembers what was "
        "created. Exit code 1 when any action failed; the next push tries it again.",
    )
    push.add_argument(
        "sink",
        metavar="SINK",
        help="where to create the actions: a .jsonl file (or file:….jsonl), or a plugin URI "
        "(zoho:…)",
    )
    push.add_argument(
        "source",
        metavar="SOURCE",
        nargs="?",
        default=SAMPLE_PORTFOLIO,
        help="the portfolio to review (default: the sample portfolio shipped with kamcore)",
    )
    push.add_argument(
        "--as-of",
        metavar="DATE",
        type=parse_as_of,
        help="review as of this moment: an ISO 8601 date (the end of that day, UTC) or a "
        "date-time with an offset (default: the portfolio's exported_at, else now)",
    )
    _add_rules_option(push)
    _add_ledger_options(push)
    push.add_argument(
        "--dry-run",
        action="store_true",
        help="only count what would be created and skipped: send and write nothing",
    )
    push.add_argument(
        "--collect",
        action="store_true",
        help="keep the valid records of an invalid source and list the others on stderr "
        "(default: refuse the whole source)",
    )
    add_lang_option(push, purpose="write the tasks and notes in this language (default: en)")
    plugins = commands.add_parser(
        "plugins",
        help="list the installed plugins",
        description="List every installed plugin: its name, the distribution and version "
        "that provide it, and the hooks it implements.",
    )
    plugins.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="output format (default: table)",
    )
    plugins.set_defaults(source=None, collect=False)


def _add_rules_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rules",
        metavar="FILE",
        help="a TOML or JSON rule set (default: kamcore's default rule set)",
    )


def _add_policy_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--policy",
        metavar="FILE",
        help="a TOML or JSON escalation policy: the ladder, its delays and the business "
        "calendar (default: kamcore's default policy)",
    )


def _emit(lines: Iterable[str], *, stream: Any = None) -> None:
    for line in lines:
        print(line, file=stream)


def _load(args: argparse.Namespace) -> tuple[Portfolio, datetime]:
    """The portfolio of SOURCE as known at the ``--as-of`` moment, and that moment."""
    result = load_source(args)
    moment: datetime = args.as_of or default_moment(result.portfolio)
    return result.portfolio.as_of(moment), moment


def _json(value: Any) -> Iterator[str]:
    # The blocks of json.dumps(indent=2)'s text as they are encoded, not the pieces
    # it joins (see json_blocks).
    return json_blocks(value)


def _streamed_or_loaded(
    args: argparse.Namespace,
    streamed: Callable[[Path], _Made | None],
    loaded: Callable[[Portfolio, datetime], _Made],
) -> _Made:
    """What a command makes of SOURCE: of a JSON file read as it streams, never held
    whole (``streamed(path)``); of any other source, or of a file the stream refuses
    (``None``), loaded first, so the error is worded as the load always words it."""
    path = json_file_source(args)
    made = streamed(path) if path is not None else None
    if made is None:
        portfolio, moment = _load(args)
        made = loaded(portfolio, moment)
    return made


def _read_accounts(
    args: argparse.Namespace, start: Callable[[], EachAccount[_Kept]], *, doing: str = "reading"
) -> AccountsRead[_Kept]:
    # accounts, show and classify keep of each account what they print.
    return _streamed_or_loaded(
        args,
        lambda path: streamed_accounts(args, path, start, progress=sys.stderr, doing=doing),
        lambda portfolio, moment: loaded_accounts(portfolio, moment, start),
    )


def _accounts(args: argparse.Namespace) -> Iterable[str]:
    if args.format == "json":
        summaries = _read_accounts(args, lambda: _of_client(account_summary))
        return _json(summaries.kept)
    rows = _read_accounts(args, lambda: _of_client(account_row))
    return accounts_table(rows.kept)


def _of_client(made: Callable[[ClientFile], _Kept]) -> Callable[[ClientFile, datetime], _Kept]:
    """*made* of each account as :func:`_read_accounts` shows it (the moment unread)."""
    return lambda client, _: made(client)


def _show(args: argparse.Namespace) -> Iterable[str]:
    def shown(client: ClientFile) -> ClientFile | None:
        return client if client.id == args.account_id else None

    read = _read_accounts(args, lambda: _of_client(shown))
    if not read.kept:
        raise UnknownAccountError(args.account_id)
    client = read.kept[0]
    if args.format == "json":
        return _json(encode_client_file(client))
    return client_file_text(client, moment=read.moment, staff=read.portfolio.staff)


def _classify(args: argparse.Namespace) -> Iterable[str]:
    # The rule set is loaded when read_accounts starts, after the source is read as
    # far as a load reads it first: an unreadable --rules is then reported after
    # the source's own problems, as it always was.
    def results() -> Callable[[ClientFile, datetime], Classification]:
        return load_classifier(args.rules).classify

    def rows() -> Callable[[ClientFile, datetime], list[str]]:
        classify = load_classifier(args.rules).classify
        return lambda client, moment: classification_row(client.account, classify(client, moment))

    if args.format == "table" and not args.explain:
        table = _read_accounts(args, rows, doing="classifying")
        return classification_table(table.kept)
    classified = _read_accounts(args, results, doing="classifying").kept
    if args.format == "json":
        return classifications_json(classified)  # printed as it is encoded
    return classification_texts(classified)


def _review(args: argparse.Namespace) -> Iterable[str]:
    reviewed = _streamed_or_loaded(
        args,
        lambda path: streamed_review(args, path, progress=sys.stderr),
        lambda portfolio, moment: loaded_review(args, portfolio, moment),
    )
    agenda, escalations = reviewed.agenda, reviewed.escalator
    if args.format == "json":
        return agenda_json(agenda, escalations)  # printed as it is encoded: see agenda_json
    texts = messages(args.lang) if args.lang else None
    if args.format == "markdown":
        return agenda_markdown(agenda, reviewed.roster, escalations, texts)
    return agenda_table(agenda, reviewed.roster, escalations, texts)


def _report(args: argparse.Namespace) -> Iterable[str]:
    made = _streamed_or_loaded(
        args,
        lambda path: streamed_report(args, path, progress=sys.stderr),
        lambda portfolio, moment: loaded_report(args, portfolio, moment),
    )
    lines: Iterable[str]
    if args.format == "json":
        lines = report_json(made)  # printed as it is encoded: see report_json
    elif args.format == "html":
        lines = report_document(made.html_lines(messages(args.lang) if args.lang else None))
    else:
        lines = report_document(made.markdown_lines(messages(args.lang) if args.lang else None))
    if args.out is None:
        return lines
    try:
        with Path(args.out).open("w", encoding="utf-8") as out:
            # Each line as print writes it, but a text that ends a line ends the file.
            out.writelines(line if line.endswith("\n") else line + "\n" for line in lines)
    except OSError as error:
        raise KamcoreError(f"{args.out}: cannot write ({error.strerror or error})") from None
    return [f"wrote {args.out}"]


def _notices(args: argparse.Namespace) -> Iterable[str]:
    def loaded(portfolio: Portfolio, moment: datetime) -> tuple[NoticeDraft, ...]:
        agenda = review(portfolio, moment, classifier=load_classifier(args.rules))
        return draft_notices(agenda, portfolio, language=args.lang)

    drafts = _streamed_or_loaded(
        args, lambda path: streamed_notices(args, path, progress=sys.stderr), loaded
    )
    if args.format == "json":
        return _json(notices_json(drafts))
    return notices_text(drafts)


def _escalations(args: argparse.Namespace) -> tuple[Iterable[str], int]:
    # Not named _escalate: that would hide the module kamcore.cli._escalate.
    read = _streamed_or_loaded(
        args,
        lambda path: streamed_escalations(args, path, progress=sys.stderr),
        lambda portfolio, moment: loaded_escalations(args, portfolio, moment),
    )
    return escalate_command(args, read)


def _rules(args: argparse.Namespace) -> list[str]:
    return rules_summary(load_classifier(args.rules))


def _plugins(args: argparse.Namespace) -> Iterable[str]:
    infos = installed_plugins(get_plugin_manager())
    if args.format == "json":
        return _json(plugins_json(infos))
    return plugins_table(infos)


_Command = Callable[[argparse.Namespace], "Iterable[str] | tuple[Iterable[str], int]"]
"""A command: the lines for stdout, and the exit code when it is not :data:`EXIT_OK`."""

_COMMANDS: dict[str, _Command] = {
    "accounts": _accounts,
    "show": _show,
    "classify": _classify,
    "review": _review,
    "report": _report,
    "notices": _notices,
    "escalate": _escalations,
    "rules": _rules,
    "sync": sync_command,
    "push": push_command,
    "plugins": _plugins,
    "generate": generate_command,
}


def _silence_stdout() -> None:
    # The reader went away (``kamcore accounts | head -1``): send whatever is
    # still buffered nowhere, so that the interpreter's final flush is quiet.
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``kamcore`` command with *argv* (default: ``sys.argv[1:]``).

    Returns:
        The exit status: :data:`EXIT_OK`, :data:`EXIT_ERROR` for a kamcore error
        (reported on stderr as ``kamcore: error: …``, never as a traceback) or an
        action ``kamcore push`` could not create, or :data:`EXIT_USAGE` for a bad
        command line.
    """
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # --help, --version and usage errors
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    code = EXIT_OK
    try:
        output = _COMMANDS[args.command](args)
        lines, code = output if isinstance(output, tuple) else (output, EXIT_OK)
        _emit(lines)
        sys.stdout.flush()
    except KamcoreError as error:
        _emit(error_lines(error, source=args.source, collect=args.collect), stream=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        _silence_stdout()
    return code
