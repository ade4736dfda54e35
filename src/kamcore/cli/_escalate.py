"""``kamcore escalate``: the findings that climbed above their owner, and the notices
their holders are owed; with ``--send``, those notices sent through the channel plugins."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from kamcore.classification import load_classifier
from kamcore.cli._messages import PREFIX
from kamcore.cli._moment import default_moment, show_moment
from kamcore.cli._notices import add_lang_option
from kamcore.cli._render import cell, table
from kamcore.cli._source import load_source
from kamcore.cli._sync import _ledger, _plural, ledger_path
from kamcore.escalation import (
    Escalation,
    EscalationNotice,
    escalate,
    escalation_notices,
    load_policy,
)
from kamcore.i18n import messages
from kamcore.model import Portfolio
from kamcore.plugins import get_plugin_manager
from kamcore.report import holder_text
from kamcore.review import review
from kamcore.sync import SendSummary, send_notices

__all__ = ["add_escalate_options", "escalate_command"]

_ESCALATION_HEADER = ("ACCOUNT", "FINDING", "LEVEL", "HELD BY", "SINCE", "NEXT")
_NOTICE_HEADER = ("RECIPIENT", "LANG", "LEVEL", "ACCOUNT", "FINDING", "SUBJECT")


def add_escalate_options(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``kamcore escalate`` that no other command has: ``--lang``
    and ``--send`` (the common, rules, policy and ledger options are added by the caller)."""
    add_lang_option(
        parser,
        purpose="write the notices of staff members whose record names no language in "
        "this language (default: en)",
    )
    parser.add_argument(
        "--send",
        action="store_true",
        help="send the notices through the installed channel plugins, each once however "
        "often this runs (default: only list what would be sent)",
    )


def _next(escalation: Escalation) -> str:
    upcoming = escalation.next
    if upcoming is None:
        return "—"
    return f"{upcoming.level} {upcoming.name} at {show_moment(upcoming.at)}"


def _escalations_table(escalations: Sequence[Escalation], portfolio: Portfolio) -> list[str]:
    names = {member.id: member.name for member in portfolio.staff}
    rows = [
        [
            e.finding.account_id,
            e.finding.key,
            f"{e.level} {e.level_name}",
            holder_text(e.current.holder, e.staff, names),
            show_moment(e.since),
            _next(e),
        ]
        for e in escalations
    ]
    return table(rows, header=_ESCALATION_HEADER)


def _notices_table(notices: Sequence[EscalationNotice]) -> list[str]:
    rows = [
        [
            n.recipient,
            n.language,
            str(n.level),
            n.account_id or "—",
            n.finding_key or "—",
            cell(n.subject),
        ]
        for n in notices
    ]
    return table(rows, header=_NOTICE_HEADER)


def _listing(
    escalations: Sequence[Escalation],
    notices: Sequence[EscalationNotice],
    portfolio: Portfolio,
    moment: datetime,
) -> list[str]:
    if not escalations:
        return [f"No findings have climbed above their owner as of {show_moment(moment)}."]
    lines = [
        f"{_plural(len(escalations), 'finding')} above the owner as of {show_moment(moment)}:",
        *_escalations_table(escalations, portfolio),
        "",
    ]
    if not notices:
        return [*lines, "No notices: no one on the staff list holds the levels reached."]
    return [
        *lines,
        f"{_plural(len(notices), 'notice')} to send (dry run, nothing sent; --send sends them):",
        *_notices_table(notices),
    ]


def _document(
    escalations: Sequence[Escalation],
    notices: Sequence[EscalationNotice],
    moment: datetime,
    summary: SendSummary | None,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "as_of": moment.isoformat(),
        "escalations": [{"account_id": e.finding.account_id, **e.as_dict()} for e in escalations],
        "notices": [notice.as_dict() for notice in notices],
    }
    if summary is not None:
        document["sent"] = {
            "sent": summary.sent,
            "already_sent": summary.already_sent,
            "failed": summary.failed,
            "errors": summary.errors,
        }
    return document


def _failure_lines(summary: SendSummary) -> list[str]:
    if not summary.failed:
        return []
    return [
        f"{PREFIX}: error: {_plural(summary.failed, 'notice')} failed; "
        "the next run sends them again",
        *(f"  {key}: {cell(error)}" for key, error in summary.errors.items()),
    ]


def escalate_command(args: argparse.Namespace) -> tuple[list[str], int]:
    """``kamcore escalate [SOURCE]``: review SOURCE, list the escalated findings and the
    notices they call for; with ``--send``, send the notices and print a summary.

    Returns:
        The lines for stdout, and exit code 1 when a notice failed (each failure
        is listed on stderr), else 0.
    """
    result = load_source(args)
    moment = args.as_of or default_moment(result.portfolio)
    portfolio = result.portfolio.as_of(moment)
    agenda = review(portfolio, moment, classifier=load_classifier(args.rules))
    escalated = [
        e for e in escalate(agenda, load_policy(args.policy), portfolio=portfolio) if e.escalated
    ]
    notices = escalation_notices(
        escalated,
        portfolio,
        messages=messages(args.lang) if args.lang else None,
        tenant=args.tenant,
    )
    summary = None
    if args.send:
        with _ledger(ledger_path(args.ledger)) as ledger:
            summary = send_notices(notices, ledger, plugins=get_plugin_manager())
        for line in _failure_lines(summary):
            print(line, file=sys.stderr)
    code = 1 if summary is not None and summary.failed else 0
    if args.format == "json":
        document = _document(escalated, notices, moment, summary)
        return [json.dumps(document, ensure_ascii=False, indent=2)], code
    if summary is None:
        return _listing(escalated, notices, portfolio, moment), code
    return [
        f"sent {summary.sent}, already sent {summary.already_sent}, failed {summary.failed}"
    ], code
