"""``kamcore review``: the agenda as a table, a Markdown document or JSON.

Each open finding shows where it stands on the escalation ladder: its level
and who holds it (see :func:`kamcore.escalation.escalate`).

A local JSON file read strictly is reviewed as it is read
(:func:`streamed_review`), any other source loaded first (:func:`loaded_review`):
both give the :class:`ReviewedSource` the renderers print, so the output is the
same. The renderers read of the portfolio only who is who (:class:`Roster`),
and compute each finding's escalation as they write it (:class:`Escalator`):
``--format json`` and ``markdown`` hold no line of their output but the one
being written (the table needs every row, for its column widths).
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final, TextIO, TypeVar

import attrs

from kamcore.classification import load_classifier
from kamcore.cli._accounts import UNKNOWN
from kamcore.cli._moment import show_moment
from kamcore.cli._render import Align, JsonArray, JsonObject, cell, json_blocks, table
from kamcore.cli._source import collector_paused
from kamcore.errors import KamcoreError
from kamcore.escalation import EscalationPolicy, Escalator, escalator, load_policy, opened_at
from kamcore.i18n import Messages, action_text, describe, severity_text
from kamcore.model import Account, ClientFile, Portfolio, StaffMember
from kamcore.report import holder_text, level_label
from kamcore.review import Agenda, Finding, Health, review
from kamcore.review.stream import EachReview, StreamedReview, review_portfolio_stream

__all__ = [
    "ReviewedSource",
    "Roster",
    "agenda_json",
    "agenda_markdown",
    "agenda_parts",
    "agenda_table",
    "dated_review_read",
    "for_owner",
    "loaded_review",
    "read_streamed",
    "resolve_owner",
    "review_read",
    "streamed_review",
]

_FINDING_HEADER: Final = (
    "DUE",
    "SEVERITY",
    "ACCOUNT",
    "NAME",
    "CODE",
    "ACTION",
    "LEVEL",
    "HELD BY",
)
_FINDING_COLUMNS: Final = (
    "Due",
    "Severity",
    "Account",
    "Name",
    "Code",
    "Action",
    "Level",
    "Held by",
)
_TEXT_COLUMNS: Final = tuple("Finding" if t == "Code" else t for t in _FINDING_COLUMNS)
"""The finding columns with ``--lang``: the finding's text in place of its code."""
_HEALTH_HEADER: Final = ("ACCOUNT", "NAME", "OWNER", "SCORE", "TREND")
_HEALTH_ALIGN: Final[tuple[Align, ...]] = ("left", "left", "left", "right", "right")
_MARKDOWN_SPECIAL: Final = frozenset("\\`*_[]<>|~")
_MAX_OWNERS: Final = 20
"""How many owners the error for an unknown ``--owner`` lists."""
_PROGRESS_EVERY: Final = 1.0
"""How many seconds at least between two updates of the progress line."""

_Read = TypeVar("_Read")
"""What a command makes of a file it streams (see :func:`read_streamed`)."""


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


@attrs.frozen(kw_only=True)
class Roster:
    """Who is who, all the agenda's renderers read of a portfolio.

    Attributes:
        accounts: every account's profile by id (its name and owner are read).
        staff: the staff list (names of owners and of the holders of levels).
    """

    accounts: Mapping[str, Account]
    staff: tuple[StaffMember, ...]

    @classmethod
    def of(cls, portfolio: Portfolio) -> Roster:
        """The roster of *portfolio* (of a streamed one too: its accounts keep their profiles)."""
        return cls(
            accounts={client.id: client.account for client in portfolio}, staff=portfolio.staff
        )


@attrs.frozen(kw_only=True)
class ReviewedSource:
    """What ``kamcore review`` prints, whichever way SOURCE was read.

    Attributes:
        agenda: the review (with ``--owner``, that owner's part of it).
        escalator: where each of its open findings stands, computed when asked.
        roster: who is who in the source.
    """

    agenda: Agenda
    escalator: Escalator
    roster: Roster


def loaded_review(
    args: argparse.Namespace, portfolio: Portfolio, moment: datetime
) -> ReviewedSource:
    """``kamcore review`` of the loaded *portfolio* at *moment*.

    Raises:
        KamcoreError: ``--owner`` owns no account, or ``--policy`` or ``--rules``
            is unreadable (in that order).
    """
    roster = Roster.of(portfolio)
    owner = resolve_owner(roster, args.owner) if args.owner is not None else None
    policy = load_policy(args.policy)
    agenda = review(portfolio, moment, classifier=load_classifier(args.rules))
    if owner is not None:
        agenda = for_owner(agenda, roster, owner)
    return ReviewedSource(
        agenda=agenda, escalator=escalator(agenda, policy, portfolio=portfolio), roster=roster
    )


def streamed_review(
    args: argparse.Namespace, path: Path, *, progress: TextIO | None = None
) -> ReviewedSource | None:
    """``kamcore review`` of the portfolio file at *path*, each account reviewed as it is read.

    Memory holds the findings, not the portfolio: each finding is dated (for
    its escalation) while its account's records are there, and what the
    renderers read is kept of each account (:class:`Roster`).

    When *progress* is a terminal, a line on it says how far the review is while
    it runs (see :func:`read_streamed`).

    Returns:
        What :func:`loaded_review` gives for the loaded file, or ``None`` when the
        file, ``--policy`` or ``--rules`` is refused: the load then says what is
        wrong, in the words and the order it always has (source first, whose
        problems a streamed read lists differently).

    Raises:
        KamcoreError: ``--owner`` owns no account.
    """

    def read(
        stream: IO[str], reviewed: Callable[[], object]
    ) -> tuple[EscalationPolicy, DatedReview]:
        policy = load_policy(args.policy)
        return policy, dated_review_read(args, stream, reviewed)

    done = read_streamed(path, read, progress=progress)
    if done is None:
        return None
    policy, (streamed, opened) = done
    roster = Roster.of(streamed.portfolio)
    agenda = streamed.agenda
    if args.owner is not None:
        agenda = for_owner(agenda, roster, resolve_owner(roster, args.owner))
    escalations = escalator(agenda, policy, opened=opened, staff=roster.staff)
    return ReviewedSource(agenda=agenda, escalator=escalations, roster=roster)


DatedReview = tuple[StreamedReview, dict[str, datetime]]
"""A streamed review, and when each of its open findings became open, by key."""


def dated_review_read(
    args: argparse.Namespace, stream: IO[str], reviewed: Callable[[], object]
) -> DatedReview:
    """:func:`review_read`, and when each open finding became open: each is dated
    (:func:`~kamcore.escalation.opened_at`) while its account's records are there,
    which is what an escalator of the streamed review needs instead of the portfolio."""
    opened: dict[str, datetime] = {}

    def date_findings(client: ClientFile, findings: tuple[Finding, ...], as_of: datetime) -> None:
        for finding in findings:
            opened[finding.key] = opened_at(finding, client, as_of)

    return review_read(args, stream, reviewed, each_review=date_findings), opened


def review_read(
    args: argparse.Namespace,
    stream: IO[str],
    reviewed: Callable[[], object],
    *,
    each_review: EachReview | None = None,
    staff_known: Callable[[tuple[StaffMember, ...]], object] | None = None,
) -> StreamedReview:
    """The review of the portfolio document in *stream* with the command's ``--rules``
    and ``--as-of`` (default: the document's ``exported_at``, else now), each account
    reviewed as it is read: the part of a :func:`read_streamed` *read* every command
    that reviews a streamed file shares.

    Args:
        args: the command line (``source``, ``as_of`` and ``rules`` are read).
        stream: the document's text.
        reviewed: called once each account is reviewed (the progress line's count).
        each_review: also called for each account, before *reviewed*, with what
            :data:`~kamcore.review.stream.EachReview` is given.
        staff_known: as for :func:`~kamcore.review.stream.review_portfolio_stream`.

    Raises:
        KamcoreError: ``--rules`` is unreadable, or the document is refused.
    """

    def each(client: ClientFile, findings: tuple[Finding, ...], as_of: datetime) -> None:
        if each_review is not None:
            each_review(client, findings, as_of)
        reviewed()

    return review_portfolio_stream(
        stream,
        args.as_of,
        source=args.source,
        classifier=load_classifier(args.rules),
        default_as_of=datetime.now(UTC),
        each_review=each,
        staff_known=staff_known,
    )


def read_streamed(
    path: Path,
    read: Callable[[IO[str], Callable[[], object]], _Read],
    *,
    progress: TextIO | None = None,
    doing: str = "reviewing",
) -> _Read | None:
    """What ``read(stream, reviewed)`` makes of the portfolio file at *path*, or ``None``
    if it refuses it: how a command streams a file, and falls back to loading it.

    *stream* is the file's text; *read* calls ``reviewed()`` each time it has
    reviewed (or otherwise read) an account. When *progress* is a terminal, a line
    on it says how far the command is while it runs (*doing*, accounts done, how
    much of the file is read, seconds since the start), and is cleared at the end;
    nothing is written to any other stream. Python's cyclic garbage collector is
    paused meanwhile, as for a load (see :func:`~kamcore.cli._source.collector_paused`):
    the findings pile up as the records did, and the collector would scan them
    again and again.

    Returns:
        What *read* returns; ``None`` when it (or opening the file) raised a
        :class:`~kamcore.errors.KamcoreError`, an :class:`OSError` or a
        :class:`UnicodeError`: the caller then loads the source, which says what
        is wrong in the words and the order it always has.
    """
    shown: _Progress | None = None
    try:
        with (
            collector_paused(),
            path.open("rb") as file,
            io.TextIOWrapper(file, encoding="utf-8-sig") as stream,
        ):
            if progress is not None and progress.isatty():
                shown = _Progress(progress, file.tell, path.stat().st_size, doing)
            try:
                return read(stream, shown.reviewed if shown is not None else _unseen)
            finally:
                if shown is not None:
                    shown.clear()
    except (KamcoreError, OSError, UnicodeError):
        return None


def _unseen() -> None:
    """An account was reviewed, and no one is shown the progress."""


class _Progress:
    """The line on a terminal that says how far the review (or other reading) of a file is."""

    def __init__(
        self, terminal: TextIO, position: Callable[[], int], size: int, doing: str
    ) -> None:
        self._terminal = terminal
        self._doing = doing  # what the line says is going on: "reviewing", "reading"…
        self._position = position  # the file's: how much of it is read
        self._size = size
        self._started = self._shown_at = time.monotonic()
        self._accounts = 0
        self._width = 0

    def reviewed(self) -> None:
        """One more account is reviewed: say so, if the line was not updated for a while."""
        self._accounts += 1
        now = time.monotonic()
        if now - self._shown_at < _PROGRESS_EVERY:
            return
        self._shown_at = now
        read = min(self._position(), self._size) * 100 // max(self._size, 1)
        text = (
            f"{self._doing}: {_plural(self._accounts, 'account')}, {read}% of the file read, "
            f"{now - self._started:.0f} s"
        )
        self._terminal.write("\r" + text.ljust(self._width))
        self._terminal.flush()
        self._width = max(self._width, len(text))

    def clear(self) -> None:
        """Take the line away (the review is over)."""
        if self._width:
            self._terminal.write("\r" + " " * self._width + "\r")
            self._terminal.flush()


def resolve_owner(roster: Roster, name: str) -> str:
    """The owner id ``--owner NAME`` means: an account owner's id, or the name of a
    staff member who owns accounts.

    Raises:
        KamcoreError: no account is owned by *name*; the message lists the owners.
    """
    owners = sorted({account.owner for account in roster.accounts.values()})
    if name in owners:
        return name
    for member in roster.staff:
        if member.name == name and member.id in owners:
            return member.id
    known = ", ".join(owners[:_MAX_OWNERS]) or "none"
    if len(owners) > _MAX_OWNERS:
        known += f", … and {len(owners) - _MAX_OWNERS} more"
    raise KamcoreError(f"no account is owned by {name!r} (owners: {known})")


def for_owner(agenda: Agenda, roster: Roster, owner: str) -> Agenda:
    """*agenda* with only *owner*'s findings and the health of *owner*'s accounts."""
    accounts = {key for key, account in roster.accounts.items() if account.owner == owner}

    def mine(findings: Sequence[Finding]) -> tuple[Finding, ...]:
        return tuple(f for f in findings if f.owner == owner)

    return attrs.evolve(
        agenda,
        findings=mine(agenda.findings),
        snoozed=mine(agenda.snoozed),
        acknowledged=mine(agenda.acknowledged),
        health={k: h for k, h in agenda.health.items() if k in accounts},
    )


def _summary(agenda: Agenda) -> str:
    return (
        f"{_plural(len(agenda.findings), 'open finding')}, {len(agenda.snoozed)} snoozed, "
        f"{len(agenda.acknowledged)} acknowledged"
    )


def _owner_title(owner: str, names: Mapping[str, str]) -> str:
    return f"{owner} ({names[owner]})" if owner in names else owner


def _due(finding: Finding) -> str:
    return show_moment(finding.due) if finding.due else UNKNOWN


def _finding_cells(
    finding: Finding,
    accounts: Mapping[str, Account],
    escalations: Escalator,
    names: Mapping[str, str],
    messages: Messages | None = None,
) -> list[str]:
    account = accounts.get(finding.account_id)
    name = account.name if account is not None else ""
    current = escalations.escalation(finding).current
    level = level_label(current.name, current.holder, messages)
    held_by = holder_text(current.holder, current.staff, names)
    if messages is not None:  # --lang: the texts in that language instead of the codes
        return [
            _due(finding),
            severity_text(finding.severity, messages),
            finding.account_id,
            name,
            describe(finding, messages),
            action_text(finding.action, messages),
            level,
            held_by,
        ]
    return [
        _due(finding),
        finding.severity,
        finding.account_id,
        name,
        finding.code,
        finding.action,
        level,
        held_by,
    ]


def _health_rows(agenda: Agenda, accounts: Mapping[str, Account]) -> list[list[str]]:
    """Health per account, the least healthy first."""
    rows = []
    for account_id, health in sorted(agenda.health.items(), key=lambda i: (i[1].score, i[0])):
        account = accounts.get(account_id)
        rows.append(
            [
                account_id,
                account.name if account else "",
                account.owner if account else "",
                f"{health.score:.1f}",
                _trend(health),
            ]
        )
    return rows


def _trend(health: Health) -> str:
    return UNKNOWN if health.trend is None else f"{health.trend:+.1f}"


def agenda_table(
    agenda: Agenda,
    roster: Roster,
    escalations: Escalator,
    messages: Messages | None = None,
) -> list[str]:
    """The agenda for people: a summary line, a table of findings per owner (owner
    header lines, columns aligned across owners; each finding's escalation level
    and who holds it), then every account's health. With *messages*, each finding,
    severity and action is written out in their language instead of its code."""
    names = {member.id: member.name for member in roster.staff}
    words = _TableWords.english() if messages is None else _TableWords.of(messages)
    lines = [words.title(show_moment(agenda.as_of), agenda), ""]
    groups = agenda.by_owner()
    rows = [
        _finding_cells(f, roster.accounts, escalations, names, messages)
        for findings in groups.values()
        for f in findings
    ]
    if rows:
        header, *body = table(rows, header=words.finding_header, indent="  ")
        position = 0
        for owner, findings in groups.items():
            title = cell(_owner_title(owner, names))
            lines += [words.owner_line(title, len(findings)), header]
            lines += body[position : position + len(findings)]
            lines.append("")
            position += len(findings)
    else:
        lines += [words.no_findings, ""]
    lines.append(words.health)
    health = _health_rows(agenda, roster.accounts)
    lines += table(health, header=words.health_header, align=_HEALTH_ALIGN, indent="  ")
    if not health:
        lines.append(f"  {words.no_accounts}")
    return lines


@attrs.frozen(kw_only=True)
class _TableWords:
    """The fixed words of the agenda table, in English or in a catalog's language."""

    finding_header: tuple[str, ...]
    health_header: tuple[str, ...]
    health: str
    no_findings: str
    no_accounts: str
    messages: Messages | None = None

    @classmethod
    def english(cls) -> _TableWords:
        return cls(
            finding_header=_FINDING_HEADER,
            health_header=_HEALTH_HEADER,
            health="Health (0-100, higher is healthier; trend: change over 30 days)",
            no_findings="No open findings.",
            no_accounts="(no accounts)",
        )

    @classmethod
    def of(cls, messages: Messages) -> _TableWords:
        def header(*keys: str) -> tuple[str, ...]:
            return tuple(messages.text(f"review.{key}").upper() for key in keys)

        return cls(
            finding_header=header(
                "due", "severity", "account", "name", "finding", "action", "level", "held_by"
            ),
            health_header=header("account", "name", "owner", "score", "trend"),
            health=messages.text("review.health"),
            no_findings=messages.text("review.no_findings"),
            no_accounts=messages.text("review.no_accounts"),
            messages=messages,
        )

    def title(self, as_of: str, agenda: Agenda) -> str:
        if self.messages is None:
            return f"Agenda as of {as_of}: {_summary(agenda)}"
        summary = self.messages.text(
            "review.summary",
            open=len(agenda.findings),
            snoozed=len(agenda.snoozed),
            acknowledged=len(agenda.acknowledged),
        )
        return self.messages.text("review.title", as_of=as_of, summary=summary)

    def owner_line(self, owner: str, count: int) -> str:
        if self.messages is None:
            return f"{owner}: {_plural(count, 'finding')}"
        return self.messages.text("review.owner_findings", owner=owner, count=count)


def _md(text: str) -> str:
    """*text* safe in one Markdown table cell or heading."""
    return "".join(f"\\{ch}" if ch in _MARKDOWN_SPECIAL else ch for ch in cell(text))


def _code(text: str) -> str:
    """*text* as inline code, unless it holds what a code span cannot."""
    text = cell(text)
    return _md(text) if "`" in text or "|" in text else f"`{text}`"


def _md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def agenda_markdown(
    agenda: Agenda,
    roster: Roster,
    escalations: Escalator,
    messages: Messages | None = None,
) -> Iterator[str]:
    """The agenda as a Markdown document, line by line: a section with a table per
    owner (with each finding's escalation level and who holds it), then a health
    table. With *messages*, findings, severities and actions are texts in their
    language."""
    names = {member.id: member.name for member in roster.staff}
    yield from [f"# Agenda as of {show_moment(agenda.as_of)}", "", f"{_summary(agenda)}.", ""]
    groups = agenda.by_owner()
    if not groups:
        yield from ["No open findings.", ""]
    for owner, findings in groups.items():
        yield from [
            f"## {_md(_owner_title(owner, names))}",
            "",
            _md_row(list(_FINDING_COLUMNS if messages is None else _TEXT_COLUMNS)),
            _md_row(["---"] * len(_FINDING_COLUMNS)),
        ]
        for finding in findings:
            due, severity, account_id, name, code, action, level, held_by = _finding_cells(
                finding, roster.accounts, escalations, names, messages
            )
            shown = _code if messages is None else _md
            yield (
                _md_row(
                    [
                        _md(due),
                        severity,
                        _md(account_id),
                        _md(name),
                        shown(code),
                        shown(action),
                        _md(level),
                        _md(held_by),
                    ]
                )
            )
        yield ""
    yield from [
        "## Health",
        "",
        "Score from 0 to 100, higher is healthier; the trend is the change over 30 days.",
        "",
        _md_row(["Account", "Name", "Owner", "Score", "Trend"]),
        _md_row(["---", "---", "---", "---:", "---:"]),
    ]
    for row in _health_rows(agenda, roster.accounts):
        yield _md_row([_md(text) for text in row])


def agenda_parts(agenda: Agenda, escalations: Escalator) -> JsonObject:
    """The agenda's JSON form (:meth:`kamcore.review.Agenda.as_dict`), each open
    finding with its ``escalation`` (:meth:`kamcore.escalation.Escalation.as_dict`),
    in parts :func:`~kamcore.cli._render.json_blocks` writes an element at a time:
    a finding's values and its escalation are made when they are written.

    Raises:
        TypeError: :meth:`~kamcore.review.Agenda.as_dict` has a list or a dict this
            function does not know how to write in parts (it was changed alone).
    """

    def open_finding(finding: Finding) -> dict[str, Any]:
        values = finding.as_dict()
        values["escalation"] = escalations.escalation(finding).as_dict()
        return values

    parts: dict[str, JsonArray | JsonObject] = {
        "findings": JsonArray(map(open_finding, agenda.findings)),
        "snoozed": JsonArray(finding.as_dict() for finding in agenda.snoozed),
        "acknowledged": JsonArray(finding.as_dict() for finding in agenda.acknowledged),
        "health": JsonObject((key, health.as_dict()) for key, health in agenda.health.items()),
    }
    # The layout is as_dict's own: the document of an agenda as empty as can be,
    # at the same moment, with its lists and dicts swapped for the parts.
    skeleton = Agenda(as_of=agenda.as_of, findings=()).as_dict()
    containers = {key for key, value in skeleton.items() if isinstance(value, list | dict)}
    if containers != parts.keys():
        raise TypeError(f"the agenda's JSON form has the parts {sorted(containers)}")
    return JsonObject((key, parts.get(key, value)) for key, value in skeleton.items())


def agenda_json(agenda: Agenda, escalations: Escalator) -> Iterator[str]:
    """:func:`agenda_parts` as the JSON text ``kamcore review --format json`` prints,
    a block of lines at a time (see :func:`~kamcore.cli._render.json_blocks`):
    ``json.dumps(document, ensure_ascii=False, indent=2)`` of the whole document,
    without ever holding it, nor more than one finding's escalation."""
    return json_blocks(agenda_parts(agenda, escalations))
