"""The ``kamcore`` command line: look at a portfolio from the shell.

``kamcore accounts`` lists the accounts of a portfolio source, ``kamcore show``
prints one client file, ``kamcore classify`` classifies every account with a
rule set, ``kamcore review`` checks every account against the service
principles and prints the agenda, and ``kamcore rules check`` validates a rule
set. ``docs/cli.md`` describes every option and exit code.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Final

from kamcore import SAMPLE_PORTFOLIO, KamcoreError, load_portfolio
from kamcore.classification import load_classifier
from kamcore.cli._accounts import account_summaries, accounts_table
from kamcore.cli._classify import classification_table, classification_texts, rules_summary
from kamcore.cli._clientfile import client_file_text
from kamcore.cli._messages import error_lines, quarantine_lines
from kamcore.cli._moment import default_moment, parse_as_of
from kamcore.cli._review import agenda_markdown, agenda_table, for_owner, resolve_owner
from kamcore.fileformat import encode_client_file
from kamcore.model import Portfolio
from kamcore.review import review

__all__ = ["EXIT_ERROR", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

EXIT_OK: Final = 0
"""The command did its job."""
EXIT_ERROR: Final = 1
"""A kamcore error: the source is unreadable or invalid, or an account id is unknown."""
EXIT_USAGE: Final = 2
"""The command line itself is wrong (argparse's own exit code)."""


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
        default="table",
        help="output format (default: table)",
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
    review_.add_argument(
        "--owner",
        metavar="NAME",
        help="only the findings and accounts of this account manager (a staff id as in the "
        "accounts' owner, or a staff member's name)",
    )
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
    return parser


def _add_rules_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rules",
        metavar="FILE",
        help="a TOML or JSON rule set (default: kamcore's default rule set)",
    )


def _emit(lines: Sequence[str], *, stream: Any = None) -> None:
    for line in lines:
        print(line, file=stream)


def _load(args: argparse.Namespace) -> tuple[Portfolio, datetime]:
    """The portfolio of SOURCE as known at the ``--as-of`` moment, and that moment."""
    result = load_portfolio(args.source, strict=not args.collect)
    _emit(quarantine_lines(result.quarantine, source=args.source), stream=sys.stderr)
    moment: datetime = args.as_of or default_moment(result.portfolio)
    return result.portfolio.as_of(moment), moment


def _json(value: Any) -> list[str]:
    return [json.dumps(value, ensure_ascii=False, indent=2)]


def _accounts(args: argparse.Namespace) -> list[str]:
    portfolio, _ = _load(args)
    if args.format == "json":
        return _json(account_summaries(portfolio))
    return accounts_table(portfolio)


def _show(args: argparse.Namespace) -> list[str]:
    portfolio, moment = _load(args)
    client = portfolio[args.account_id]
    if args.format == "json":
        return _json(encode_client_file(client))
    return client_file_text(client, moment=moment, staff=portfolio.staff)


def _classify(args: argparse.Namespace) -> list[str]:
    portfolio, moment = _load(args)
    results = load_classifier(args.rules).classify_portfolio(portfolio, moment)
    if args.format == "json":
        return _json([result.as_dict() for result in results.values()])
    if args.explain:
        return classification_texts(results)
    return classification_table(portfolio, results)


def _review(args: argparse.Namespace) -> list[str]:
    portfolio, moment = _load(args)
    owner = resolve_owner(portfolio, args.owner) if args.owner is not None else None
    agenda = review(portfolio, moment, classifier=load_classifier(args.rules))
    if owner is not None:
        agenda = for_owner(agenda, portfolio, owner)
    if args.format == "json":
        return _json(agenda.as_dict())
    if args.format == "markdown":
        return agenda_markdown(agenda, portfolio)
    return agenda_table(agenda, portfolio)


def _rules(args: argparse.Namespace) -> list[str]:
    return rules_summary(load_classifier(args.rules))


_COMMANDS = {
    "accounts": _accounts,
    "show": _show,
    "classify": _classify,
    "review": _review,
    "rules": _rules,
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
        (reported on stderr as ``kamcore: error: …``, never as a traceback), or
        :data:`EXIT_USAGE` for a bad command line.
    """
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # --help, --version and usage errors
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    try:
        _emit(_COMMANDS[args.command](args))
        sys.stdout.flush()
    except KamcoreError as error:
        _emit(error_lines(error, source=args.source, collect=args.collect), stream=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        _silence_stdout()
    return EXIT_OK
