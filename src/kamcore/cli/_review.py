"""``kamcore review``: the agenda as a table, a Markdown document or JSON.

Each open finding shows where it stands on the escalation ladder: its level
and who holds it (see :func:`kamcore.escalation.escalate`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs

from kamcore.cli._accounts import UNKNOWN
from kamcore.cli._moment import show_moment
from kamcore.cli._render import Align, cell, table
from kamcore.errors import KamcoreError
from kamcore.escalation import Escalation
from kamcore.i18n import Messages, action_text, describe, severity_text
from kamcore.model import Portfolio
from kamcore.report import holder_text, level_label
from kamcore.review import Agenda, Finding, Health

__all__ = [
    "agenda_document",
    "agenda_markdown",
    "agenda_table",
    "for_owner",
    "resolve_owner",
]

Escalations = Mapping[str, Escalation]
"""Escalations by finding key."""

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


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def resolve_owner(portfolio: Portfolio, name: str) -> str:
    """The owner id ``--owner NAME`` means: an account owner's id, or the name of a
    staff member who owns accounts.

    Raises:
        KamcoreError: no account is owned by *name*; the message lists the owners.
    """
    owners = sorted({client.account.owner for client in portfolio})
    if name in owners:
        return name
    for member in portfolio.staff:
        if member.name == name and member.id in owners:
            return member.id
    known = ", ".join(owners[:_MAX_OWNERS]) or "none"
    if len(owners) > _MAX_OWNERS:
        known += f", … and {len(owners) - _MAX_OWNERS} more"
    raise KamcoreError(f"no account is owned by {name!r} (owners: {known})")


def for_owner(agenda: Agenda, portfolio: Portfolio, owner: str) -> Agenda:
    """*agenda* with only *owner*'s findings and the health of *owner*'s accounts."""
    accounts = {client.id for client in portfolio if client.account.owner == owner}

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
    portfolio: Portfolio,
    escalations: Escalations,
    names: Mapping[str, str],
    messages: Messages | None = None,
) -> list[str]:
    name = portfolio[finding.account_id].account.name if finding.account_id in portfolio else ""
    escalation = escalations.get(finding.key)
    if escalation is None:
        level, held_by = UNKNOWN, UNKNOWN
    else:
        current = escalation.current
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


def _health_rows(agenda: Agenda, portfolio: Portfolio) -> list[list[str]]:
    """Health per account, the least healthy first."""
    rows = []
    for account_id, health in sorted(agenda.health.items(), key=lambda i: (i[1].score, i[0])):
        account = portfolio[account_id].account if account_id in portfolio else None
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
    portfolio: Portfolio,
    escalations: Escalations,
    messages: Messages | None = None,
) -> list[str]:
    """The agenda for people: a summary line, a table of findings per owner (owner
    header lines, columns aligned across owners; each finding's escalation level
    and who holds it), then every account's health. With *messages*, each finding,
    severity and action is written out in their language instead of its code."""
    names = {member.id: member.name for member in portfolio.staff}
    words = _TableWords.english() if messages is None else _TableWords.of(messages)
    lines = [words.title(show_moment(agenda.as_of), agenda), ""]
    groups = agenda.by_owner()
    rows = [
        _finding_cells(f, portfolio, escalations, names, messages)
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
    health = _health_rows(agenda, portfolio)
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
    portfolio: Portfolio,
    escalations: Escalations,
    messages: Messages | None = None,
) -> list[str]:
    """The agenda as a Markdown document: a section with a table per owner (with
    each finding's escalation level and who holds it), then a health table. With
    *messages*, findings, severities and actions are texts in their language."""
    names = {member.id: member.name for member in portfolio.staff}
    lines = [f"# Agenda as of {show_moment(agenda.as_of)}", "", f"{_summary(agenda)}.", ""]
    groups = agenda.by_owner()
    if not groups:
        lines += ["No open findings.", ""]
    for owner, findings in groups.items():
        lines += [
            f"## {_md(_owner_title(owner, names))}",
            "",
            _md_row(list(_FINDING_COLUMNS if messages is None else _TEXT_COLUMNS)),
            _md_row(["---"] * len(_FINDING_COLUMNS)),
        ]
        for finding in findings:
            due, severity, account_id, name, code, action, level, held_by = _finding_cells(
                finding, portfolio, escalations, names, messages
            )
            shown = _code if messages is None else _md
            lines.append(
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
        lines.append("")
    lines += [
        "## Health",
        "",
        "Score from 0 to 100, higher is healthier; the trend is the change over 30 days.",
        "",
        _md_row(["Account", "Name", "Owner", "Score", "Trend"]),
        _md_row(["---", "---", "---", "---:", "---:"]),
    ]
    lines += [_md_row([_md(text) for text in row]) for row in _health_rows(agenda, portfolio)]
    return lines


def agenda_document(agenda: Agenda, escalations: Escalations) -> dict[str, Any]:
    """The agenda's JSON form, each open finding with its ``escalation``
    (:meth:`kamcore.escalation.Escalation.as_dict`)."""
    document = agenda.as_dict()
    for finding, values in zip(agenda.findings, document["findings"], strict=True):
        escalation = escalations.get(finding.key)
        if escalation is not None:
            values["escalation"] = escalation.as_dict()
    return document
