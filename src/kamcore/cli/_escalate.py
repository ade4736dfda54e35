"""``kamcore escalate``: the findings that climbed above their owner, and the notices
their holders are owed; with ``--send``, those notices sent through the channel plugins."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import attrs

from kamcore.classification import load_classifier
from kamcore.cli._messages import PREFIX
from kamcore.cli._moment import show_moment
from kamcore.cli._notices import add_lang_option
from kamcore.cli._render import JsonArray, JsonObject, cell, json_blocks, table
from kamcore.cli._review import dated_review_read, read_streamed
from kamcore.cli._sync import _ledger, _plural, ledger_path
from kamcore.escalation import (
    Escalation,
    EscalationNotice,
    Escalator,
    each_escalation_notice,
    escalator,
    load_policy,
)
from kamcore.i18n import messages
from kamcore.model import Portfolio
from kamcore.plugins import get_plugin_manager
from kamcore.report import holder_text
from kamcore.review import Agenda, review
from kamcore.sync import SendSummary, send_notices

__all__ = [
    "Escalated",
    "add_escalate_options",
    "escalate_command",
    "loaded_escalations",
    "streamed_escalations",
]

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
    escalations: Iterable[Escalation],
    notices: Iterable[EscalationNotice],
    moment: datetime,
    summary: SendSummary | None,
) -> JsonObject:
    """The JSON document of ``--format json``, each escalation's and notice's values made
    when they are written (see :func:`~kamcore.cli._render.json_blocks`): a large
    portfolio has hundreds of thousands of notices."""
    members: list[tuple[str, Any]] = [
        ("as_of", moment.isoformat()),
        (
            "escalations",
            JsonArray({"account_id": e.finding.account_id, **e.as_dict()} for e in escalations),
        ),
        ("notices", JsonArray(notice.as_dict() for notice in notices)),
    ]
    if summary is not None:
        members.append(
            (
                "sent",
                {
                    "sent": summary.sent,
                    "already_sent": summary.already_sent,
                    "failed": summary.failed,
                    "errors": summary.errors,
                },
            )
        )
    return JsonObject(members)


def _failure_lines(summary: SendSummary) -> list[str]:
    if not summary.failed:
        return []
    return [
        f"{PREFIX}: error: {_plural(summary.failed, 'notice')} failed; "
        "the next run sends them again",
        *(f"  {key}: {cell(error)}" for key, error in summary.errors.items()),
    ]


@attrs.frozen(kw_only=True)
class Escalated:
    """What ``kamcore escalate`` reads of SOURCE, whichever way it was read.

    Attributes:
        agenda: the review of SOURCE at its moment.
        escalator: where each open finding of the agenda stands on the ladder.
        portfolio: the source's staff and accounts (of a streamed file, each
            account by its id, name and owner only): who is who in the notices.
    """

    agenda: Agenda
    escalator: Escalator
    portfolio: Portfolio

    def escalations(self) -> Iterator[Escalation]:
        """The open findings that climbed above their owner, in agenda order, each
        worked out when it is asked for (a large portfolio has hundreds of
        thousands: they are not held)."""
        for finding in self.agenda.findings:
            escalation = self.escalator.escalation(finding)
            if escalation.escalated:
                yield escalation


def loaded_escalations(
    args: argparse.Namespace, portfolio: Portfolio, moment: datetime
) -> Escalated:
    """The escalations of the loaded *portfolio* (as known at *moment*) under ``--policy``.

    Raises:
        KamcoreError: ``--rules`` or ``--policy`` is unreadable (in that order).
    """
    agenda = review(portfolio, moment, classifier=load_classifier(args.rules))
    return Escalated(
        agenda=agenda,
        escalator=escalator(agenda, load_policy(args.policy), portfolio=portfolio),
        portfolio=portfolio,
    )


def streamed_escalations(
    args: argparse.Namespace, path: Path, *, progress: TextIO | None = None
) -> Escalated | None:
    """The escalations of the portfolio file at *path*, each account reviewed as it is read.

    Each finding is dated (for its escalation) while its account's records are
    there, as ``kamcore review`` dates them; memory holds the findings, not the
    portfolio. When *progress* is a terminal, a line on it says how far the
    review is (see :func:`~kamcore.cli._review.read_streamed`).

    Returns:
        What :func:`loaded_escalations` gives for the loaded file, or ``None`` when
        the file or ``--rules`` is refused: the load then says what is wrong, in
        the words and the order it always has.

    Raises:
        KamcoreError: ``--policy`` is unreadable (after the file, as for a load).
    """
    done = read_streamed(
        path, lambda stream, reviewed: dated_review_read(args, stream, reviewed), progress=progress
    )
    if done is None:
        return None
    streamed, opened = done
    agenda, portfolio = streamed.agenda, streamed.portfolio
    return Escalated(
        agenda=agenda,
        escalator=escalator(agenda, load_policy(args.policy), opened=opened, staff=portfolio.staff),
        portfolio=portfolio,
    )


def escalate_command(args: argparse.Namespace, read: Escalated) -> tuple[Iterable[str], int]:
    """``kamcore escalate [SOURCE]`` of what was *read* of SOURCE: list the escalated
    findings and the notices they call for; with ``--send``, send the notices and
    print a summary.

    Returns:
        The lines for stdout, and exit code 1 when a notice failed (each failure
        is listed on stderr), else 0.
    """
    portfolio, moment = read.portfolio, read.agenda.as_of

    def notices() -> Iterator[EscalationNotice]:
        # Made as they are sent or written: a large portfolio owes hundreds of thousands.
        return each_escalation_notice(
            read.escalations(),
            portfolio,
            messages=messages(args.lang) if args.lang else None,
            tenant=args.tenant,
        )

    summary = None
    if args.send:
        with _ledger(ledger_path(args.ledger)) as ledger:
            summary = send_notices(notices(), ledger, plugins=get_plugin_manager())
        for line in _failure_lines(summary):
            print(line, file=sys.stderr)
    code = 1 if summary is not None and summary.failed else 0
    if args.format == "json":
        # Printed as it is encoded: see json_blocks.
        return json_blocks(_document(read.escalations(), notices(), moment, summary)), code
    if summary is None:
        return _listing(list(read.escalations()), list(notices()), portfolio, moment), code
    return [
        f"sent {summary.sent}, already sent {summary.already_sent}, failed {summary.failed}"
    ], code
