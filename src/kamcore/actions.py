"""Actions: what kamcore asks a sink (a CRM, a file) to do about the findings of a review.

Each action has a deterministic key, so the ledger can tell an action it has
already sent from a new one, and a sink can be asked whether it already holds it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Final

import attrs

from kamcore.i18n import DEFAULT_LANGUAGE, Messages, action_text, describe, severity_text
from kamcore.i18n import messages as default_messages
from kamcore.review import Agenda, Finding

__all__ = ["ACTION_KINDS", "Action", "PushResult", "action_key", "actions_from_agenda"]

ACTION_KINDS: Final = frozenset({"task", "note"})
"""What a sink is asked to create: a task with a due date, or a note on the account."""


def action_key(tenant: str, finding: Finding) -> str:
    """The deterministic key of the action for *finding* in *tenant*.

    Built from the tenant, the account, the principle and code of the finding,
    the evidence and the ISO week the action is due in: the same situation due in the same week is
    the same action at every review, so re-running review and push creates
    nothing new, while a situation that recurs later gets a new action.
    """
    due_period = ""
    if finding.due is not None:
        year, week, _ = finding.due.isocalendar()
        due_period = f"{year}-W{week:02d}"
    parts = [tenant, finding.account_id, finding.principle, finding.code, *finding.evidence]
    parts.append(due_period)
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]
    return f"kam-{digest}"


@attrs.frozen(kw_only=True)
class Action:
    """One thing to create in a sink.

    Attributes:
        key: the deterministic key (:func:`action_key`); sinks store it with the
            record so that a re-run can find it.
        tenant: the CRM organisation (or other tenant) it belongs to.
        kind: ``task`` or ``note``.
        account_id: the account it is about.
        owner: who should do it (the account manager).
        title: a short subject line.
        body: the text: what was found, the evidence, what to do.
        due: when it is due, if it has a deadline.
        finding_code: the code of the finding it comes from.
        severity: the finding's severity.
        evidence: the ids of the events that show the finding.
    """

    key: str
    tenant: str
    kind: str = attrs.field(validator=attrs.validators.in_(ACTION_KINDS))
    account_id: str
    owner: str
    title: str
    body: str
    due: datetime | None = None
    finding_code: str
    severity: str
    evidence: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "key": self.key,
            "tenant": self.tenant,
            "kind": self.kind,
            "account_id": self.account_id,
            "owner": self.owner,
            "title": self.title,
            "body": self.body,
            "due": self.due.isoformat() if self.due else None,
            "finding_code": self.finding_code,
            "severity": self.severity,
            "evidence": list(self.evidence),
        }


@attrs.frozen
class PushResult:
    """What a sink did with one action.

    Attributes:
        key: the action's key.
        record_id: the id of the record the sink created (or found), ``None`` if it failed.
        error: why it failed, when it did; never a secret.
    """

    key: str
    record_id: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the sink holds the action now."""
        return self.record_id is not None and self.error is None


def _body(finding: Finding, messages: Messages) -> str:
    lines = [describe(finding, messages)]
    if finding.evidence:
        lines.append(messages.text("push.evidence", ids=", ".join(finding.evidence)))
    lines.append(messages.text("push.recommended", action=action_text(finding.action, messages)))
    # The stable code, in every language, for people and scripts that search for it.
    lines.append(f"kamcore: {finding.message} ({finding.severity})")
    return "\n".join(lines)


def actions_from_agenda(
    agenda: Agenda, tenant: str, *, messages: Messages | None = None
) -> list[Action]:
    """One action per open finding of *agenda*: a task when it has a due time, else a note.

    Snoozed and acknowledged findings get no action. Titles and bodies are
    written in the language of *messages* (English by default); the keys do not
    depend on the language, so pushing in another language creates nothing new.

    Args:
        agenda: the review's agenda.
        tenant: the CRM organisation (or other tenant) the actions belong to.
        messages: the texts to write them with (:func:`kamcore.i18n.messages`).
    """
    texts = messages if messages is not None else default_messages(DEFAULT_LANGUAGE)
    return [_action(tenant, finding, texts) for finding in agenda.findings]


def _action(tenant: str, finding: Finding, messages: Messages) -> Action:
    title = messages.text(
        "push.title",
        severity=severity_text(finding.severity, messages),
        action=action_text(finding.action, messages),
    )
    return Action(
        key=action_key(tenant, finding),
        tenant=tenant,
        kind="task" if finding.due is not None else "note",
        account_id=finding.account_id,
        owner=finding.owner,
        title=title,
        body=_body(finding, messages),
        due=finding.due,
        finding_code=finding.code,
        severity=finding.severity,
        evidence=finding.evidence,
    )
