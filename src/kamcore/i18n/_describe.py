"""Findings, actions and severities in a reader's language."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kamcore.i18n._catalog import Messages

if TYPE_CHECKING:  # kamcore.i18n is imported by kamcore itself: no import of the review here
    from kamcore.review.finding import Finding

__all__ = ["action_text", "describe", "principle_name", "severity_text"]


def describe(finding: Finding, messages: Messages) -> str:
    """What *finding* says, in the language of *messages*: the text of its message key
    (``PRINCIPLE.CODE``) filled with its ``values`` and ``params`` (``params`` win
    where both have a name).

    >>> from datetime import UTC, datetime
    >>> from kamcore.i18n import messages
    >>> from kamcore.review import Finding
    >>> finding = Finding(
    ...     account_id="KA-1",
    ...     owner="anna",
    ...     principle="commitment",
    ...     code="promise_overdue",
    ...     severity="violation",
    ...     action="written_notice",
    ...     params={"what": "the pilot plan", "due": datetime(2026, 12, 7, 18, tzinfo=UTC)},
    ... )
    >>> describe(finding, messages("en"))
    'The promise "the pilot plan", due 7 December 2026, has not been kept and no new date has been agreed.'
    """
    return messages.text(finding.message, **{**finding.values, **finding.params})


def action_text(action: str, messages: Messages) -> str:
    """The recommended *action* (one of :data:`kamcore.review.ACTIONS`) as an instruction.

    >>> from kamcore.i18n import messages
    >>> action_text("written_notice", messages("bg"))
    'Изпратете писмено уведомление на клиента'
    """
    return messages.text(f"action.{action}")


def severity_text(severity: str, messages: Messages) -> str:
    """A severity (one of :data:`kamcore.review.SEVERITIES`) as a word."""
    return messages.text(f"severity.{severity}")


def principle_name(principle: str, messages: Messages) -> str:
    """The name of the principle with id *principle*."""
    return messages.text(f"principle.{principle}")


def level_text(name: str, messages: Messages, role: str | None = None) -> str:
    """An escalation level for the reader: the term of its name (``department_head``),
    else of the role that holds it (``executive_sponsor`` is held by ``executive``),
    else its name with spaces.

    >>> from kamcore.i18n import messages
    >>> level_text("department_head", messages("ru"))
    'руководитель отдела'
    """
    for term in (f"term.{name}", f"term.{role}" if role else ""):
        if term in messages:
            return messages.text(term)
    return name.replace("_", " ")
