"""Hypothesis strategies that build **valid** kamcore model objects.

Every strategy here yields objects the model accepts on construction, so a
test can rely on them and mutate them (or their encoded documents) on purpose.
Sizes are kept small so that property tests stay fast.
"""

from __future__ import annotations

import os
import string
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from kamcore.model import (
    ADVERSE_CHANGES,
    CHANNELS,
    COMPLAINT_STEPS,
    DECISIONS,
    INITIATORS,
    ROLES,
    Account,
    AdverseChange,
    AnswerPromised,
    ChangeCommunicated,
    ClientFile,
    Complaint,
    ComplaintStep,
    Contact,
    Decision,
    Document,
    Event,
    Goal,
    GoalProgress,
    Interaction,
    PersonalNote,
    Portfolio,
    Promise,
    PromiseKept,
    PromiseRenegotiated,
    Report,
    Request,
    RequestAnswered,
    Situation,
    SituationResponse,
    StaffMember,
    SurveyResponse,
    Timeline,
    Transaction,
    WaitEnded,
    WaitStarted,
)

__all__ = [
    "CONTINUATION_TYPES",
    "OPENER_TYPES",
    "TIMEZONES",
    "accounts",
    "amounts",
    "client_files",
    "contacts",
    "currencies",
    "documents",
    "fact_values",
    "fast",
    "ids",
    "moments",
    "personal_notes",
    "portfolios",
    "reports",
    "staff_members",
    "texts",
    "timelines",
    "transactions",
]

MAX = 4
"""Largest size of any drawn collection: keeps the whole suite fast."""

TIMEZONES = (
    UTC,
    timezone(timedelta(hours=8)),  # China
    timezone(timedelta(hours=-5, minutes=-30)),
    timezone(timedelta(hours=2)),  # Sofia, Kyiv in winter
    timezone(timedelta(hours=3)),  # Moscow
    timezone(timedelta(hours=5, minutes=45)),
    timezone(timedelta(hours=-8)),
)

_CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
_CYRILLIC = st.characters(min_codepoint=0x0400, max_codepoint=0x04FF)
_ANY = st.characters(codec="utf-8")
_ALPHABET = st.one_of(_ANY, _CJK, _CYRILLIC, st.sampled_from(string.ascii_letters + " -.,"))

_WORDS = st.sampled_from(
    ["纷享销客", "客户档案", "Ростелеком", "Київстар", "София ООД", "ACME GmbH", "Zoho", "A"]
)

texts = st.one_of(
    st.text(_ALPHABET, min_size=1, max_size=12).filter(lambda s: bool(s.strip())), _WORDS
)
"""Non-blank text in any script (CJK and Cyrillic favoured)."""

ids = st.one_of(
    st.text(string.ascii_uppercase + string.digits + "-", min_size=1, max_size=5),
    texts,
)
"""Record ids: short ASCII codes (collisions are likely) or any non-blank text."""


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``None`` or a value of *strategy*."""
    return st.none() | strategy


def moments(
    min_value: datetime = datetime(2020, 1, 1),  # noqa: DTZ001 - bounds of st.datetimes are naive
    max_value: datetime = datetime(2027, 12, 31),  # noqa: DTZ001
) -> st.SearchStrategy[datetime]:
    """Aware datetimes with one of several fixed offsets (microseconds included)."""
    return st.datetimes(
        min_value=min_value, max_value=max_value, timezones=st.sampled_from(TIMEZONES)
    )


def later(moment: datetime) -> st.SearchStrategy[datetime]:
    """A moment at or after *moment* (often exactly at it), in any of the offsets."""
    delta = st.one_of(
        st.just(timedelta(0)),
        st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=90)),
    )
    return st.tuples(delta, st.sampled_from(TIMEZONES)).map(
        lambda pair: (moment + pair[0]).astimezone(pair[1])
    )


currencies = st.text(string.ascii_uppercase, min_size=3, max_size=3)
"""ISO-4217-like codes: three upper-case ASCII letters."""

amounts = st.tuples(st.integers(-(10**12), 10**12), st.integers(-4, 3)).map(
    lambda pair: Decimal(pair[0]).scaleb(pair[1])
)
"""Finite decimal amounts with a reasonable exponent (``12.50``, ``-3``, ``4E+2``…)."""

fact_values = st.one_of(
    st.text(_ALPHABET, max_size=8),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
)
"""Values an account fact may take."""

documents = st.builds(
    Document, name=texts, uri=optional(texts), media_type=optional(st.just("application/pdf"))
)


def contacts(contact_id: st.SearchStrategy[str] = ids) -> st.SearchStrategy[Contact]:
    """A contact at the client."""
    return st.builds(
        Contact,
        id=contact_id,
        name=texts,
        position=optional(texts),
        channel=optional(st.sampled_from(sorted(CHANNELS))),
        language=optional(st.sampled_from(["en", "zh", "ru", "uk", "bg"])),
        email=optional(st.just("a@example.com")),
        phone=optional(st.just("+86 10 1234 5678")),
    )


def personal_notes(contact_ids: tuple[str, ...] = ()) -> st.SearchStrategy[PersonalNote]:
    """A personal note, about one of *contact_ids* or about the company."""
    about = optional(st.sampled_from(contact_ids)) if contact_ids else st.none()
    return st.builds(
        PersonalNote,
        text=texts,
        topic=optional(st.sampled_from(["hometown", "sport", "success_story", "family"])),
        contact_id=about,
    )


@st.composite
def accounts(draw: st.DrawFn, account_id: st.SearchStrategy[str] = ids) -> Account:
    """A client profile with contacts and notes that refer to them."""
    people = draw(st.lists(contacts(), max_size=3, unique_by=lambda c: c.id))
    contact_ids = tuple(c.id for c in people)
    return Account(
        id=draw(account_id),
        name=draw(texts),
        owner=draw(texts),
        tier=draw(optional(st.sampled_from(["strategic", "key", "VIP", "regular", "重点"]))),
        client_since=draw(optional(st.dates(date(2000, 1, 1), date(2027, 1, 1)))),
        facts=draw(st.dictionaries(texts, fact_values, max_size=3)),
        contacts=people,
        needs=draw(st.lists(texts, max_size=3)),
        preferences=draw(st.lists(texts, max_size=2)),
        personal_notes=draw(st.lists(personal_notes(contact_ids), max_size=3)),
    )


def transactions(transaction_id: st.SearchStrategy[str] = ids) -> st.SearchStrategy[Transaction]:
    """A purchase or refund."""
    return st.builds(
        Transaction,
        id=transaction_id,
        at=moments(),
        product=texts,
        amount=amounts,
        currency=currencies,
    )


# Events ------------------------------------------------------------------------------------------

_COMMON: dict[str, st.SearchStrategy[Any]] = {
    "by": optional(texts),
    "documents": st.lists(documents, max_size=2),
}


@st.composite
def _survey_scores(draw: st.DrawFn) -> dict[str, Any]:
    score = optional(st.one_of(st.integers(1, 5), st.floats(1, 5)))
    scores = {
        "product_quality": draw(score),
        "service_attitude": draw(score),
        "resolution_efficiency": draw(score),
        "nps": draw(optional(st.integers(0, 10))),
    }
    if all(value is None for value in scores.values()):
        scores[draw(st.sampled_from(sorted(scores)))] = 5
    return scores


@st.composite
def _decision_fields(draw: st.DrawFn) -> dict[str, Any]:
    action = draw(st.sampled_from(sorted(DECISIONS)))
    until = draw(moments() if action == "snooze" else optional(moments()))
    return {
        "finding": draw(texts),
        "action": action,
        "until": until,
        "reason": draw(optional(texts)),
    }


def _fields(**strategies: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(strategies)


# Fields of each event class beyond id, at, by, documents and the reference.
_EXTRA: dict[type[Event], st.SearchStrategy[dict[str, Any]]] = {
    Interaction: _fields(
        channel=st.sampled_from(sorted(CHANNELS)),
        initiated_by=st.sampled_from(sorted(INITIATORS)),
        personal=st.booleans(),
        topics=st.lists(
            st.sampled_from(["thanks", "future_plans", "order_completed", "problem", "update"])
            | texts,
            max_size=3,
        ),
        contact_id=optional(ids),
        summary=optional(texts),
    ),
    Request: _fields(
        subject=texts,
        channel=optional(st.sampled_from(sorted(CHANNELS))),
        contact_id=optional(ids),
    ),
    AnswerPromised: _fields(answer_by=moments()),
    RequestAnswered: _fields(
        declined=st.booleans(), alternative=optional(texts), summary=optional(texts)
    ),
    WaitStarted: _fields(reason=texts),
    WaitEnded: _fields(),
    Situation: _fields(description=texts),
    SituationResponse: _fields(playbook=texts, reusable=st.booleans()),
    Promise: _fields(what=texts, due=moments(), contact_id=optional(ids)),
    PromiseKept: _fields(),
    PromiseRenegotiated: _fields(
        new_due=optional(moments()),
        explanation=optional(texts),
        apology=st.booleans(),
        written=st.booleans(),
    ),
    AdverseChange: _fields(change=st.sampled_from(sorted(ADVERSE_CHANGES)), description=texts),
    ChangeCommunicated: _fields(
        alternatives=st.lists(texts, max_size=2), written=st.booleans(), contact_id=optional(ids)
    ),
    Complaint: _fields(subject=texts, contact_id=optional(ids)),
    ComplaintStep: _fields(step=st.sampled_from(COMPLAINT_STEPS), owner=optional(texts)),
    SurveyResponse: _survey_scores(),
    Goal: _fields(
        title=texts, client_participants=st.lists(ids, max_size=2), target=optional(moments())
    ),
    GoalProgress: _fields(progress=st.floats(0, 1), note=optional(texts)),
    Decision: _decision_fields(),
}

OPENER_TYPES: tuple[type[Event], ...] = tuple(
    cls for cls in _EXTRA if cls.REF is None and cls is not WaitStarted
)
"""Event classes that open a lifecycle or stand alone (waits are drawn apart)."""

CONTINUATION_TYPES: tuple[type[Event], ...] = tuple(cls for cls in _EXTRA if cls.REF is not None)
"""Event classes that continue a lifecycle opened by an earlier event."""


def _event(draw: st.DrawFn, cls: type[Event], event_id: str, at: datetime, **fixed: Any) -> Event:
    fields = {**draw(st.fixed_dictionaries(_COMMON)), **draw(_EXTRA[cls]), **fixed}
    return cls(id=event_id, at=at, **fields)


@st.composite
def timelines(draw: st.DrawFn, max_openers: int = MAX, max_continuations: int = MAX) -> Timeline:
    """A valid timeline: openers first, then continuations and waits that refer back to them.

    Every reference points to an event of the right class in the same timeline at
    or before the referring event's time; waits may be about any earlier event.
    """
    openers = draw(st.lists(st.sampled_from(OPENER_TYPES), max_size=max_openers))
    n_continuations = draw(st.integers(0, max_continuations))
    n_waits = draw(st.integers(0, 2))
    total = len(openers) + n_continuations + 2 * n_waits
    event_ids = iter(draw(st.lists(ids, min_size=total, max_size=total, unique=True)))
    events: list[Event] = [_event(draw, cls, next(event_ids), draw(moments())) for cls in openers]
    for _ in range(n_continuations):
        candidates = [
            cls
            for cls in CONTINUATION_TYPES
            if any(isinstance(e, cls.REF[1]) for e in events)  # type: ignore[index]
        ]
        if not candidates:
            break
        cls = draw(st.sampled_from(candidates))
        field, target_cls = cls.REF  # type: ignore[misc]
        target = draw(st.sampled_from([e for e in events if isinstance(e, target_cls)]))
        events.append(
            _event(draw, cls, next(event_ids), draw(later(target.at)), **{field: target.id})
        )
    for _ in range(n_waits):
        about = draw(optional(st.sampled_from(events))) if events else None
        at = draw(later(about.at)) if about is not None else draw(moments())
        wait = _event(
            draw, WaitStarted, next(event_ids), at, about=about.id if about is not None else None
        )
        events.append(wait)
        if draw(st.booleans()):
            events.append(
                _event(draw, WaitEnded, next(event_ids), draw(later(at)), wait_id=wait.id)
            )
    return Timeline(draw(st.permutations(events)))


@st.composite
def client_files(draw: st.DrawFn, account_id: st.SearchStrategy[str] = ids) -> ClientFile:
    """An account with its transactions and timeline."""
    return ClientFile(
        account=draw(accounts(account_id)),
        transactions=draw(st.lists(transactions(), max_size=3, unique_by=lambda t: t.id)),
        timeline=draw(timelines()),
    )


staff_members = st.builds(
    StaffMember,
    id=ids,
    name=texts,
    role=st.sampled_from(sorted(ROLES)),
    client_facing=st.booleans(),
    sees_key_list=st.booleans(),
    language=optional(st.sampled_from(["en", "zh", "ru", "uk", "bg"])),
)


def reports(
    account_ids: tuple[str, ...], report_id: st.SearchStrategy[str] = ids
) -> st.SearchStrategy[Report]:
    """A report to a department head covering some of *account_ids*."""
    covered = st.lists(st.sampled_from(account_ids), max_size=3) if account_ids else st.just([])
    return st.builds(Report, id=report_id, at=moments(), to=texts, account_ids=covered)


@st.composite
def portfolios(draw: st.DrawFn, max_accounts: int = 3) -> Portfolio:
    """A whole portfolio: client files, staff, reports over existing accounts."""
    files = draw(st.lists(client_files(), max_size=max_accounts, unique_by=lambda f: f.id))
    account_ids = tuple(f.id for f in files)
    return Portfolio(
        files=files,
        staff=draw(st.lists(staff_members, max_size=3, unique_by=lambda s: s.id)),
        reports=draw(st.lists(reports(account_ids), max_size=3, unique_by=lambda r: r.id)),
        exported_at=draw(optional(moments())),
    )


def fast(max_examples: int) -> settings:
    """Settings for a property test: reproducible, no example database, no deadline.

    Shrinking a generated portfolio can take minutes, so a failure is reported as
    found; set ``KAMCORE_SHRINK=1`` to get a minimal failing example instead.
    """
    phases = list(Phase)
    if not os.environ.get("KAMCORE_SHRINK"):
        phases.remove(Phase.shrink)
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=phases,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


STANDARD: dict[str, Any] = {  # a service standard for rule sets built in tests
    "contact_cadence_days": 14,
    "response_sla_hours": 10,
    "promise_slip_tolerance_hours": 0,
    "max_promise_slips": 1,
    "complaint_sla_hours": {
        "accepted": 4,
        "investigating": 24,
        "resolved": 72,
        "feedback_given": 24,
    },
    "survey_interval_days": 90,
    "satisfaction_drop": 0.5,
    "bad_news_days": 2,
    "future_talk_days": 30,
    "goal_review_days": 30,
    "report_interval_days": 7,
    "churn_alert_score": 0.5,
}
