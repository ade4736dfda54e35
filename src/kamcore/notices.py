"""Notices: messages kamcore sends to people through channel plugins, and written
notices drafted for clients when a promise slips or an agreed date moves.

A key client is told in writing, with an explanation, an apology and a new date,
whenever a promise is not kept on time or an agreed date moves (DOMAIN.md,
Commitment and Honesty). :func:`draft_notices` writes those letters from a
review's open findings, in each client contact's language, for the account
manager to complete and send::

    >>> import kamcore
    >>> from kamcore.review import review
    >>> portfolio = kamcore.load_portfolio(kamcore.SAMPLE_PORTFOLIO).portfolio
    >>> drafts = draft_notices(review(portfolio, portfolio.exported_at), portfolio)
    >>> sorted({draft.kind for draft in drafts}) == sorted(NOTICE_KINDS)
    True
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, Final

import attrs

from kamcore.i18n import Catalogs, Messages
from kamcore.i18n import catalogs as installed_catalogs
from kamcore.model import AdverseChange, ClientFile, Contact, Portfolio
from kamcore.model.timeline import PromiseState
from kamcore.review import Agenda, Finding

__all__ = [
    "NOTICE_KINDS",
    "NOTICE_TRIGGERS",
    "Notice",
    "NoticeDraft",
    "draft_account_notices",
    "draft_notices",
]

NOTICE_KINDS: Final = ("promise_overdue", "promise_rescheduled", "delay")
"""The written notices kamcore drafts, each a ``notice.KIND.subject`` and
``notice.KIND.body`` in every catalog: a promise past its date and not kept; a
promise whose agreed date moved; a delay of something agreed (an adverse change)."""

NOTICE_TRIGGERS: Final[Mapping[str, str]] = {
    "commitment.promise_overdue": "promise_overdue",
    "commitment.renegotiated_without_notice_parts": "promise_rescheduled",
    "honesty.date_moved_without_written_notice": "promise_rescheduled",
    "honesty.delay_not_in_writing": "delay",
    "bad_news_early.bad_news_not_told": "delay",
}
"""The findings (by message key) that call for a written notice, and its kind.
``bad_news_early.bad_news_not_told`` does only for a change of kind ``delay``."""

_PRIORITY: Final = {kind: rank for rank, kind in enumerate(NOTICE_KINDS)}
_FILL_IN: Final = {"explanation": "notice.fill_explanation", "new_date": "notice.fill_new_date"}
_TRAILING_STOPS: Final = " .。!！"


@attrs.frozen(kw_only=True)
class Notice:
    """A message for a person, delivered by whichever channel plugin handles it.

    Attributes:
        recipient: who should receive it (a staff id, an address).
        channel: the preferred channel (``email``, ``im``, ``webhook``…).
        subject: one line.
        body: the text.
        language: the language of the text, a BCP 47 tag.
        account_id: the account it is about, if any.
        finding_key: the finding it is about, if any.
    """

    recipient: str
    channel: str
    subject: str
    body: str
    language: str = "en"
    account_id: str | None = None
    finding_key: str | None = None


@attrs.frozen(kw_only=True)
class NoticeDraft:
    """A written notice to a client contact, drafted for the account manager to
    complete, approve and send.

    Attributes:
        kind: one of :data:`NOTICE_KINDS`.
        account_id: the client's account.
        about: the id of the promise or adverse change the notice is about.
        contact_id: the contact it is addressed to; ``None`` when the client file
            names none (the greeting is then impersonal).
        recipient: the contact's name, if known.
        address: the contact's e-mail address, if known.
        language: the language of the text (the contact's, or the one asked for).
        sender: the account manager who signs it (their staff id).
        subject: the subject line.
        body: the letter: greeting, explanation, apology, new date, signature.
        new_date: the new date given in the letter, ``None`` when the timeline has
            none yet and the letter holds a slot to fill in.
        to_fill: what the manager must still fill in (``explanation``,
            ``new_date``): each is a bracketed slot in the body.
        finding_keys: the keys of the findings the notice answers.
    """

    kind: str = attrs.field(validator=attrs.validators.in_(NOTICE_KINDS))
    account_id: str
    about: str
    contact_id: str | None = None
    recipient: str | None = None
    address: str | None = None
    language: str
    sender: str
    subject: str
    body: str
    new_date: datetime | None = None
    to_fill: tuple[str, ...] = ()
    finding_keys: tuple[str, ...] = ()

    def as_notice(self, channel: str = "email") -> Notice:
        """The draft as a :class:`Notice` for a channel plugin, once it is complete:
        addressed to the e-mail address, else to the contact id, else the account."""
        return Notice(
            recipient=self.address or self.contact_id or self.account_id,
            channel=channel,
            subject=self.subject,
            body=self.body,
            language=self.language,
            account_id=self.account_id,
            finding_key=self.finding_keys[0] if self.finding_keys else None,
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "kind": self.kind,
            "account_id": self.account_id,
            "about": self.about,
            "contact_id": self.contact_id,
            "recipient": self.recipient,
            "address": self.address,
            "language": self.language,
            "sender": self.sender,
            "subject": self.subject,
            "body": self.body,
            "new_date": self.new_date.isoformat() if self.new_date else None,
            "to_fill": list(self.to_fill),
            "finding_keys": list(self.finding_keys),
        }


def _kind(finding: Finding) -> str | None:
    kind = NOTICE_TRIGGERS.get(finding.message)
    if finding.message == "bad_news_early.bad_news_not_told" and finding.params.get("change") != (
        "delay"
    ):
        return None
    return kind


def _contact(client: ClientFile, contact_id: str | None) -> Contact | None:
    account = client.account
    found = account.contact(contact_id) if contact_id else None
    return found or (account.contacts[0] if account.contacts else None)


def _promise(client: ClientFile, promise_id: str) -> PromiseState | None:
    return next((s for s in client.timeline.promises() if s.promise.id == promise_id), None)


def _agreed_before_last_move(state: PromiseState) -> datetime:
    due = state.promise.due
    for renegotiation in state.renegotiations[:-1]:
        due = renegotiation.new_due or due
    return due


def _explained(text: str | None) -> str | None:
    # The template ends the sentence itself.
    return (text.rstrip(_TRAILING_STOPS) or None) if text else None


def _facts(kind: str, client: ClientFile, about: str) -> dict[str, Any] | None:
    """What the letter says: its parameters, the contact, the new date if known."""
    if kind == "delay":
        change = client.timeline.get(about)
        if not isinstance(change, AdverseChange):
            return None
        states = [s for s in client.timeline.adverse_changes() if s.change.id == about]
        told = [c.contact_id for s in states for c in s.communications if c.contact_id]
        return {
            "description": _explained(change.description) or change.description,
            "explanation": None,
            "new_date": None,
            "contact_id": told[-1] if told else None,
        }
    state = _promise(client, about)
    if state is None:
        return None
    last = state.renegotiations[-1] if state.renegotiations else None
    rescheduled = kind == "promise_rescheduled" and last is not None
    return {
        "what": state.promise.what,
        "due": _agreed_before_last_move(state) if rescheduled else state.due,
        "explanation": _explained(last.explanation) if rescheduled and last else None,
        "new_date": last.new_due if rescheduled and last else None,
        "contact_id": state.promise.contact_id,
    }


def _draft(
    kind: str,
    client: ClientFile,
    about: str,
    findings: list[Finding],
    *,
    library: Catalogs,
    language: str | None,
    senders: Mapping[str, str],
) -> NoticeDraft | None:
    facts = _facts(kind, client, about)
    if facts is None:
        return None
    contact = _contact(client, facts.pop("contact_id"))
    messages: Messages = library.messages(
        language or (contact.language if contact is not None else None)
    )
    to_fill = tuple(slot for slot in ("explanation", "new_date") if facts[slot] is None)
    new_date = facts["new_date"]
    params = {
        **facts,
        **{slot: messages.text(_FILL_IN[slot]) for slot in to_fill},
    }
    greeting = (
        messages.text("notice.greeting", name=contact.name)
        if contact is not None
        else messages.text("notice.greeting_unnamed")
    )
    sender = senders.get(client.account.owner, client.account.owner)
    body = "\n\n".join(
        [
            greeting,
            messages.render(f"notice.{kind}.body", params, strict=True),
            messages.text("notice.closing", sender=sender),
        ]
    )
    return NoticeDraft(
        kind=kind,
        account_id=client.id,
        about=about,
        contact_id=contact.id if contact is not None else None,
        recipient=contact.name if contact is not None else None,
        address=contact.email if contact is not None else None,
        language=messages.language,
        sender=client.account.owner,
        subject=messages.render(f"notice.{kind}.subject", params, strict=True),
        body=body,
        new_date=new_date,
        to_fill=to_fill,
        finding_keys=tuple(f.key for f in findings),
    )


def draft_notices(
    agenda: Agenda,
    portfolio: Portfolio,
    *,
    catalogs: Catalogs | None = None,
    language: str | None = None,
) -> tuple[NoticeDraft, ...]:
    """The written notices the open findings of *agenda* call for, one per promise or
    adverse change, drafted in each contact's language.

    A promise past its date and not kept gets a ``promise_overdue`` notice; a
    promise whose date moved without a complete written notice gets a
    ``promise_rescheduled`` one (with the explanation and new date the timeline
    recorded); a delay the client was not told of in writing gets a ``delay`` one
    (see :data:`NOTICE_TRIGGERS`). When a promise calls for both, the overdue
    notice wins: the last date given has passed too. Snoozed and acknowledged
    findings get no notice. Pure: the same inputs give the same drafts.

    Args:
        agenda: the review whose open findings to answer.
        portfolio: the portfolio reviewed, as known at the agenda's moment; it
            gives the promises, changes, contacts and the signing manager's name.
        catalogs: the message catalogs; kamcore's and the installed plugins' when
            ``None``.
        language: write every notice in this language; by default each is in its
            contact's ``language`` (English when unknown or not available).

    Returns:
        The drafts by account, then by the promise or change they are about.
    """
    library = catalogs if catalogs is not None else installed_catalogs()
    senders = {member.id: member.name for member in portfolio.staff}
    by_account: dict[str, list[Finding]] = {}
    for finding in agenda.findings:
        if _called_for(finding) and finding.account_id in portfolio:
            by_account.setdefault(finding.account_id, []).append(finding)
    return tuple(
        draft
        for account_id in sorted(by_account)
        for draft in _account_drafts(
            portfolio[account_id].as_of(agenda.as_of),
            by_account[account_id],
            library=library,
            language=language,
            senders=senders,
        )
    )


def draft_account_notices(
    client: ClientFile,
    findings: Iterable[Finding],
    *,
    staff_names: Mapping[str, str],
    catalogs: Catalogs | None = None,
    language: str | None = None,
) -> tuple[NoticeDraft, ...]:
    """The notices one account's open findings call for: its part of :func:`draft_notices`.

    For a caller that reviews accounts one at a time and keeps none of them
    (``kamcore notices`` of a large file): ``draft_notices(agenda, portfolio)``
    is, account by account in id order, ``draft_account_notices(client,
    agenda.for_account(client.id), staff_names=…)`` of each client file as
    known at the agenda's moment.

    Args:
        client: the account's client file, as known at the review's moment.
        findings: its open findings, in agenda order (as
            :meth:`~kamcore.review.Agenda.for_account` gives them).
        staff_names: staff names by id: the signing manager's name.
        catalogs: as for :func:`draft_notices`.
        language: as for :func:`draft_notices`.

    Returns:
        The drafts by the promise or change they are about.
    """
    library = catalogs if catalogs is not None else installed_catalogs()
    return tuple(
        _account_drafts(client, findings, library=library, language=language, senders=staff_names)
    )


def _called_for(finding: Finding) -> bool:
    """Whether *finding* may call for a notice (about the record its evidence names first)."""
    return _kind(finding) is not None and bool(finding.evidence)


def _account_drafts(
    client: ClientFile,
    findings: Iterable[Finding],
    *,
    library: Catalogs,
    language: str | None,
    senders: Mapping[str, str],
) -> Iterator[NoticeDraft]:
    """The drafts one account's *findings* (in agenda order) call for."""
    wanted: dict[str, tuple[str, list[Finding]]] = {}
    for finding in findings:
        kind = _kind(finding)
        if kind is None or not finding.evidence:
            continue
        about = finding.evidence[0]
        current, found = wanted.get(about, (kind, []))
        wanted[about] = (min(current, kind, key=_PRIORITY.__getitem__), [*found, finding])
    for about, (kind, found) in sorted(wanted.items()):
        draft = _draft(
            kind, client, about, found, library=library, language=language, senders=senders
        )
        if draft is not None:
            yield draft
