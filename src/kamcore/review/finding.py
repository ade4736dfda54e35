"""Findings: what a principle check says about an account, and what to do about it."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

import attrs

from kamcore.review._frozen import frozen_copy, items_of

__all__ = ["ACTIONS", "SEVERITIES", "Finding", "severity_rank"]

SEVERITIES: Final = ("info", "warning", "violation", "critical")
"""Severities from the mildest. A *warning* comes before a breach, a *violation* after it."""

ACTIONS: Final = frozenset(
    {
        "call",
        "meet",
        "answer_request",
        "give_answer_date",
        "offer_alternative",
        "send_personal_message",
        "written_notice",
        "inform_of_change",
        "record_playbook",
        "thank_and_discuss_future",
        "agree_goals",
        "review_goal_progress",
        "schedule_survey",
        "investigate_satisfaction",
        "advance_complaint",
        "complete_profile",
        "share_key_list",
        "report_to_department_head",
        "retention_plan",
    }
)
"""Recommended actions a finding can carry; each has a message in every catalog."""


def severity_rank(severity: str) -> int:
    """0 for ``info`` up to 3 for ``critical``."""
    return SEVERITIES.index(severity)


# The checks of severity and action, kept as attrs validators for their error
# messages but run by ``__attrs_post_init__`` only when a membership test in C
# fails: a review builds seven findings per account, nearly all of them valid.
_SEVERITY_CHECK: Final = attrs.validators.in_(SEVERITIES)
_ACTION_CHECK: Final = attrs.validators.in_(ACTIONS)


@attrs.frozen(kw_only=True)
class Finding:
    """One thing a principle check found on an account, with what to do by when.

    Attributes:
        account_id: the account.
        owner: the account manager responsible for acting.
        principle: the id of the principle that found it.
        code: the stable code of the situation (see the documented list).
        severity: one of :data:`SEVERITIES`.
        params: the message's parameters.
        evidence: ids of the events (or transactions) that show it.
        values: the values that show it (days silent, score drop…).
        action: the recommended action, one of :data:`ACTIONS`.
        due: when the action is due; ``None`` when there is no deadline.

    A finding is an immutable value. ``params`` and ``values`` are read-only
    copies of the mappings given, so changing a dict after passing it changes
    no finding. A review builds hundreds of thousands of findings, so the
    copies are compact: they read, compare and print as dicts of the same
    items in less than half a dict's memory, and every finding given no (or
    empty) params or values shares one empty copy (a fifth of them have no
    values). Two findings are equal when their fields are (the key follows
    from account, code and evidence); like their mappings they have no hash;
    they pickle, and :meth:`as_dict` is their documented JSON form. A severity
    or action outside :data:`SEVERITIES` or :data:`ACTIONS` raises
    ``ValueError`` at construction.
    """

    account_id: str
    owner: str
    principle: str
    code: str
    severity: str
    params: Mapping[str, Any] = attrs.field(factory=dict, converter=frozen_copy)
    evidence: tuple[str, ...] = ()
    values: Mapping[str, Any] = attrs.field(factory=dict, converter=frozen_copy)
    action: str
    due: datetime | None = None
    # Computed once at construction: every finding's key is read at least once
    # (a review deduplicates by it, decisions and the agenda order use it).
    _key: str = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        _check(self, self.severity, self.action)
        object.__setattr__(self, "_key", _key_of(self.account_id, self.code, self.evidence))

    @property
    def message(self) -> str:
        """The message key, ``PRINCIPLE.CODE`` (``responsiveness.request_unanswered``);
        the text comes from a catalog, in the reader's language."""
        return f"{self.principle}.{self.code}"

    @property
    def key(self) -> str:
        """A stable key of the situation: the same account, code and evidence give the
        same key at every review, so decisions (snooze, acknowledge) can refer to it."""
        return self._key

    def as_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready values."""
        return {
            "key": self.key,
            "account_id": self.account_id,
            "owner": self.owner,
            "principle": self.principle,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "params": {k: _jsonable(v) for k, v in items_of(self.params)},
            "evidence": list(self.evidence),
            "values": {k: _jsonable(v) for k, v in items_of(self.values)},
            "action": self.action,
            "due": self.due.isoformat() if self.due else None,
        }


def _check(finding: Finding, severity: str, action: str) -> None:
    """Raise the attrs validators' ``ValueError`` if *severity* or *action* is unknown."""
    if severity not in SEVERITIES:
        _SEVERITY_CHECK(finding, attrs.fields(Finding).severity, severity)
    if action not in ACTIONS:
        _ACTION_CHECK(finding, attrs.fields(Finding).action, action)


def _key_of(account_id: str, code: str, evidence: tuple[str, ...]) -> str:
    """The :attr:`Finding.key` of a finding on *account_id* with *code* and *evidence*."""
    # The first 6 bytes of the digest in hex are its first 12 hex digits,
    # without writing out the other 28.
    digest = hashlib.sha1(
        "\x1f".join([account_id, code, *evidence]).encode(), usedforsecurity=False
    ).digest()[:6]
    return f"{code}:{digest.hex()}"


# Each slot's own setter, in field order: what attrs' ``__init__`` reaches through
# ``object.__setattr__`` field by field, looked up once.
_SLOT_SETTERS: Final = tuple(
    Finding.__dict__[field.name].__set__ for field in attrs.fields(Finding)
)


def _trusted_finding(
    *,
    account_id: str,
    owner: str,
    principle: str,
    code: str,
    severity: str,
    params: Mapping[str, Any],
    evidence: tuple[str, ...],
    values: Mapping[str, Any],
    action: str,
    due: datetime | None,
) -> Finding:
    """``Finding(...)`` of these fields, for :meth:`ReviewContext.finding`.

    The same copies, checks and key as the constructor, in the same order (so
    the same errors), without attrs' keyword handling and converter calls: a
    review builds about 7.5 findings per account, and through
    :meth:`ReviewContext.finding` each costs 3.3 µs instead of 4.7.
    """
    finding: Finding = object.__new__(Finding)
    frozen_params, frozen_values = frozen_copy(params), frozen_copy(values)
    _check(finding, severity, action)
    (
        set_account_id,
        set_owner,
        set_principle,
        set_code,
        set_severity,
        set_params,
        set_evidence,
        set_values,
        set_action,
        set_due,
        set_key,
    ) = _SLOT_SETTERS
    set_account_id(finding, account_id)
    set_owner(finding, owner)
    set_principle(finding, principle)
    set_code(finding, code)
    set_severity(finding, severity)
    set_params(finding, frozen_params)
    set_evidence(finding, evidence)
    set_values(finding, frozen_values)
    set_action(finding, action)
    set_due(finding, due)
    set_key(finding, _key_of(account_id, code, evidence))
    return finding


def _jsonable(value: Any) -> Any:
    # Checks put model values in params and values: moments, Decimal amounts (kept
    # exact as text, as the portfolio file format writes them), ids in tuples or sets.
    if isinstance(value, date):  # datetime too
        result: Any = value.isoformat()
    elif isinstance(value, Decimal):
        result = str(value)
    elif isinstance(value, timedelta):
        result = value.total_seconds()
    elif isinstance(value, Mapping):
        result = {str(k): _jsonable(v) for k, v in value.items()}
    elif isinstance(value, set | frozenset):
        result = sorted((_jsonable(v) for v in value), key=repr)
    elif isinstance(value, tuple | list):
        result = [_jsonable(v) for v in value]
    else:
        result = value
    return result
