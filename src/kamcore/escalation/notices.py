"""Escalation notices: who must hear that an open finding climbed to them, and what they read.

:func:`escalation_notices` turns the escalations of an agenda (see
:func:`kamcore.escalation.escalate`) into one :class:`EscalationNotice` per
finding, level reached above the owner, and staff member holding that level,
written in the recipient's language. It is pure: sending them, once each, is
:func:`kamcore.sync.send_notices`.

    >>> import kamcore
    >>> from kamcore.escalation import escalate, load_policy
    >>> from kamcore.review import review
    >>> portfolio = kamcore.load_portfolio(kamcore.SAMPLE_PORTFOLIO).portfolio
    >>> escalations = escalate(review(portfolio, portfolio.exported_at), portfolio=portfolio)
    >>> notices = escalation_notices(escalations, portfolio)
    >>> len({notice.key for notice in notices}) == len(notices)
    True
    >>> all(notice.level >= 1 for notice in notices)
    True
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, Final

import attrs

from kamcore.escalation.ladder import Escalation, Stay
from kamcore.escalation.policy import Holder
from kamcore.i18n import Catalogs, Messages, action_text, describe, level_text
from kamcore.i18n import catalogs as installed_catalogs
from kamcore.model import Portfolio, StaffMember
from kamcore.notices import Notice

__all__ = [
    "DEFAULT_CHANNEL",
    "EscalationNotice",
    "each_escalation_notice",
    "escalation_notices",
    "notice_key",
]

DEFAULT_CHANNEL: Final = "email"
"""The channel of every escalation notice: the staff list records no preferred
channel (nor an address), so the recipient is the staff id and channels that
deliver e-mail resolve it."""


def notice_key(finding_key: str, level: int, recipient: str) -> str:
    """The key that makes a notice be sent once: ``FINDING_KEY@LEVEL:RECIPIENT``.

    >>> notice_key("promise_overdue:2948fecdb493", 1, "collins")
    'promise_overdue:2948fecdb493@1:collins'
    """
    return f"{finding_key}@{level}:{recipient}"


@attrs.frozen(kw_only=True)
class EscalationNotice(Notice):
    """A :class:`~kamcore.notices.Notice` that an open finding reached a level of the ladder.

    Channel plugins receive it as any notice; the extra attributes say which
    escalation it tells of and keep it from being sent twice.

    Attributes:
        tenant: whose notice it is (a CRM organisation); the ledger keeps what
            was sent per tenant.
        level: the level the finding reached, 1 or more.
        level_name: that level's name in the policy (``department_head``).
        since: when the finding reached it.
    """

    tenant: str = "default"
    level: int
    level_name: str
    since: datetime

    @property
    def key(self) -> str:
        """The notice's key: the finding, the level and the recipient (see :func:`notice_key`)."""
        return notice_key(self.finding_key or "", self.level, self.recipient)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "key": self.key,
            "tenant": self.tenant,
            "recipient": self.recipient,
            "channel": self.channel,
            "language": self.language,
            "account_id": self.account_id,
            "finding_key": self.finding_key,
            "level": self.level,
            "level_name": self.level_name,
            "since": self.since.isoformat(),
            "subject": self.subject,
            "body": self.body,
        }


def _moment(moment: datetime, messages: Messages) -> str:
    # The day in the reader's language, the time as the ladder's calendar keeps it.
    return f"{messages.value(moment)} {moment:%H:%M} {moment.tzname() or ''}".rstrip()


def _level_text(name: str, holder: Holder, messages: Messages) -> str:
    return level_text(name, messages, holder.id if holder.kind == "role" else None)


def _next_step(
    escalation: Escalation, stay: Stay, names: Mapping[str, str], messages: Messages
) -> str:
    # kamcore.report imports kamcore.escalation: its helpers are imported on use.
    from kamcore.report import holder_text

    if stay.until is not None:
        # The finding has climbed on since: say where it is now.
        current = escalation.current
        return messages.text(
            "escalation_notice.moved_on",
            level=current.level,
            level_name=_level_text(current.name, current.holder, messages),
            holders=holder_text(current.holder, current.staff, names, messages),
            since=_moment(current.since, messages),
        )
    upcoming = escalation.next
    if upcoming is None:
        return messages.text("escalation_notice.top_level")
    return messages.text(
        "escalation_notice.next",
        level=upcoming.level,
        level_name=_level_text(upcoming.name, upcoming.holder, messages),
        holders=holder_text(upcoming.holder, upcoming.staff, names, messages),
        at=_moment(upcoming.at, messages),
    )


def _notice(
    escalation: Escalation,
    stay: Stay,
    recipient: str,
    portfolio: Portfolio,
    *,
    messages: Messages,
    names: Mapping[str, str],
    tenant: str,
) -> EscalationNotice:
    from kamcore.report import owner_label  # imported on use, as in _next_step

    finding = escalation.finding
    client = portfolio.files.get(finding.account_id)
    account = client.account.name if client is not None else finding.account_id
    level_name = _level_text(stay.name, stay.holder, messages)
    params = {"account": account, "account_id": finding.account_id, "level": stay.level}
    subject = messages.text("escalation_notice.subject", **params, level_name=level_name)
    greeting = messages.text("escalation_notice.greeting", name=names.get(recipient, recipient))
    intro = messages.text("escalation_notice.intro", **params, finding=describe(finding, messages))
    facts = [
        messages.text(
            "escalation_notice.level",
            level=stay.level,
            level_name=level_name,
            since=_moment(stay.since, messages),
        ),
        messages.text(
            "escalation_notice.owner", owner=owner_label(finding.owner, names.get(finding.owner))
        ),
        messages.text("escalation_notice.action", action=action_text(finding.action, messages)),
        _next_step(escalation, stay, names, messages),
    ]
    return EscalationNotice(
        recipient=recipient,
        channel=DEFAULT_CHANNEL,
        subject=subject,
        body="\n\n".join([greeting, intro, "\n".join(facts)]),
        language=messages.language,
        account_id=finding.account_id,
        finding_key=finding.key,
        tenant=tenant,
        level=stay.level,
        level_name=stay.name,
        since=stay.since,
    )


def escalation_notices(
    escalations: Iterable[Escalation],
    portfolio: Portfolio,
    *,
    messages: Messages | None = None,
    catalogs: Catalogs | None = None,
    tenant: str = "default",
) -> list[EscalationNotice]:
    """The notices that escalated findings owe the people who hold their levels.

    One notice per finding, per level of the ladder it reached above its owner
    (level 1 and up: the owner is told by the agenda itself), and per staff
    member holding that level for the finding (for a level held by a role: the
    nearest person with it up the owner's reporting line, else everyone with
    it; see :meth:`~kamcore.escalation.Holder.staff_ids`); a level no one on the
    staff list holds gives none. Each is addressed to the staff id on the :data:`DEFAULT_CHANNEL` and
    says which account and finding it is about, the level and since when, the
    account's owner, the recommended action and the next step. Pure and
    deterministic: the same escalations give the same notices, with the same
    :attr:`~EscalationNotice.key`, in the same order.

    Args:
        escalations: from :func:`kamcore.escalation.escalate`.
        portfolio: the portfolio reviewed: account names, and the staff list
            with each member's name and language.
        messages: the language for recipients whose staff record names none
            (English when ``None``).
        catalogs: the message catalogs for the recipients' own languages;
            kamcore's and the installed plugins' when ``None``.
        tenant: whose notices these are, kept with each for the ledger.

    Returns:
        The notices in the escalations' order, then by level, then by recipient.
    """
    return list(
        each_escalation_notice(
            escalations, portfolio, messages=messages, catalogs=catalogs, tenant=tenant
        )
    )


def each_escalation_notice(
    escalations: Iterable[Escalation],
    portfolio: Portfolio,
    *,
    messages: Messages | None = None,
    catalogs: Catalogs | None = None,
    tenant: str = "default",
) -> Iterator[EscalationNotice]:
    """:func:`escalation_notices`, each notice made when it is asked for: for a caller
    that writes or sends them one at a time (``kamcore escalate`` of a large
    portfolio owes hundreds of thousands)."""
    library = catalogs if catalogs is not None else installed_catalogs()
    fallback = messages if messages is not None else library.messages()
    staff: dict[str, StaffMember] = {member.id: member for member in portfolio.staff}
    names = {member.id: member.name for member in portfolio.staff}
    by_language: dict[str, Messages] = {}

    def language_of(recipient: str) -> Messages:
        member = staff.get(recipient)
        if member is None or member.language is None:
            return fallback
        if member.language not in by_language:
            by_language[member.language] = library.messages(member.language)
        return by_language[member.language]

    return (
        _notice(
            escalation,
            stay,
            recipient,
            portfolio,
            messages=language_of(recipient),
            names=names,
            tenant=tenant,
        )
        for escalation in escalations
        for stay in escalation.stays
        if stay.level >= 1
        for recipient in sorted(set(stay.staff))
    )
