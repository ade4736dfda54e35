"""Synthetic portfolios of any size, for benchmarks, load tests and demos.

A seeded generator writes the documented portfolio file format
(:mod:`kamcore.fileformat`) with a realistic mix of tiers, every event kind,
slipped promises, complaints, silent accounts and the staff who serve them.
The same :class:`SyntheticSpec` always gives the same bytes.

Accounts are built one at a time from a generator of their own, seeded with the
spec's seed and the account's position, and written to the stream as soon as
they are built: memory stays flat whatever the size, and any single account can
be rebuilt on its own (:func:`synthetic_client_file`), which is how benchmarks
make "the same account, changed".

    >>> import io
    >>> spec = SyntheticSpec(accounts=3, events_per_account=12, seed=7)
    >>> out = io.StringIO()
    >>> write_synthetic_portfolio(spec, out)
    3
    >>> out.getvalue().startswith('{"format": "kamcore.portfolio"')
    True
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import IO, Any, Final

import attrs

from kamcore.fileformat import FORMAT, VERSION, encode_client_file
from kamcore.fileformat._fields import dump_record
from kamcore.model import (
    ADVERSE_CHANGES,
    CHANNELS,
    COMPLAINT_STEPS,
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
    "DEFAULT_EXPORTED_AT",
    "SyntheticSpec",
    "account_id",
    "synthetic_client_file",
    "synthetic_reports",
    "synthetic_staff",
    "write_synthetic_portfolio",
]

DEFAULT_EXPORTED_AT: Final = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
"""The export moment of a synthetic portfolio unless the spec says otherwise."""

HISTORY_DAYS: Final = 540
"""Events and transactions fall in this many days before the export."""

ACCOUNTS_PER_MANAGER: Final = 40
"""How many accounts one account manager owns."""

MANAGERS_PER_HEAD: Final = 10
"""How many account managers report to one department head."""

REPORT_WEEKS: Final = 4
"""Weekly department-head reports in the last weeks before the export."""

# The recorded tier of an account and how its facts and purchases are drawn.
# Shares are rough shapes of a B2B portfolio, not statistics.
_TIERS: Final = (("strategic", 2), ("key", 10), ("vip", 18), ("regular", 70))
_TIER_PURCHASES: Final = {"strategic": (12, 30), "key": (6, 18), "vip": (3, 10), "regular": (0, 5)}
_TIER_AMOUNT: Final = {
    "strategic": (20_000, 250_000),
    "key": (5_000, 60_000),
    "vip": (1_000, 15_000),
    "regular": (100, 4_000),
}
_CURRENCIES: Final = ("EUR", "EUR", "EUR", "USD", "BGN", "CNY", "GBP")
_UNREPORTED_EVERY: Final = 5  # every fifth account is in no report
_SILENT_SHARE: Final = 0.08  # accounts nobody has talked to for months
_SILENCE_DAYS: Final = (45, 200)
_PRODUCTS: Final = ("licence", "support plan", "training", "integration", "hardware", "consulting")
_POSITIONS: Final = ("buyer", "CFO", "CTO", "CEO", "head of procurement", "project lead")
_LANGUAGES: Final = ("en", "zh", "ru", "uk", "bg")
_TOPICS: Final = (
    "update",
    "thanks",
    "future_plans",
    "order_completed",
    "problem",
    "pricing",
    "onboarding",
)
_NOTE_TOPICS: Final = ("hometown", "sport", "success_story", "family")
_FINDING_CODES: Final = (
    "silent_past_cadence",
    "survey_overdue",
    "profile_incomplete",
    "no_future_talk",
    "churn_risk",
)
_SUPPORT_ROLES: Final = ("support", "delivery", "billing")

# Relative weights of the stories an account's timeline is made of. Each story
# is an opener and what (if anything) continued it; contacts fill the rest.
_STORY_WEIGHTS: Final = (
    ("interaction", 44),
    ("request", 16),
    ("promise", 10),
    ("complaint", 5),
    ("survey", 6),
    ("goal", 4),
    ("situation", 3),
    ("adverse_change", 3),
    ("wait", 4),
    ("decision", 2),
)


def _positive(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{attribute.name} must be a whole number of at least 1, got {value!r}")


def _aware(instance: Any, attribute: attrs.Attribute[Any], value: datetime) -> None:
    if value.utcoffset() is None:
        raise ValueError(f"{attribute.name} must be timezone-aware")


@attrs.frozen(kw_only=True)
class SyntheticSpec:
    """What to generate.

    Attributes:
        accounts: how many client files.
        events_per_account: timeline events in every client file, exactly.
        seed: the seed; the same spec always gives the same portfolio.
        exported_at: the export moment; every record happens before it.
    """

    accounts: int = attrs.field(validator=_positive)
    events_per_account: int = attrs.field(default=20, validator=_positive)
    seed: int = 1
    exported_at: datetime = attrs.field(default=DEFAULT_EXPORTED_AT, validator=_aware)

    @property
    def managers(self) -> int:
        """How many account managers own the accounts."""
        return max(1, -(-self.accounts // ACCOUNTS_PER_MANAGER))

    @property
    def heads(self) -> int:
        """How many department heads the managers report to."""
        return max(1, -(-self.managers // MANAGERS_PER_HEAD))


def account_id(index: int) -> str:
    """The id of the account at position *index* (0-based)."""
    return f"SYN-{index + 1:07d}"


def _manager_id(index: int) -> str:
    return f"am-{index + 1:05d}"


def _head_id(index: int) -> str:
    return f"head-{index + 1:04d}"


_EXECUTIVE: Final = "executive-1"
"""The staff id of the executive sponsor the department heads report to."""


def synthetic_staff(spec: SyntheticSpec) -> tuple[StaffMember, ...]:
    """The people on our side: managers, their heads, the executive sponsor, and support staff.

    Each manager reports to the head of its group of :data:`MANAGERS_PER_HEAD`
    (whose reports cover the manager's accounts: :func:`synthetic_reports`), and
    every head to the executive sponsor, so an escalation climbs the owner's own
    line. One support desk member in five cannot see the key-client list, so the
    care principle has something to find.
    """
    staff = [
        StaffMember(
            id=_manager_id(i),
            name=f"Manager {i + 1}",
            language=_LANGUAGES[i % len(_LANGUAGES)],
            reports_to=_head_id(i // MANAGERS_PER_HEAD),
        )
        for i in range(spec.managers)
    ]
    staff += [
        StaffMember(
            id=_head_id(i), name=f"Head {i + 1}", role="department_head", reports_to=_EXECUTIVE
        )
        for i in range(spec.heads)
    ]
    staff.append(StaffMember(id=_EXECUTIVE, name="Executive Sponsor", role="executive"))
    staff += [
        StaffMember(
            id=f"{role}-{i + 1}",
            name=f"{role.title()} {i + 1}",
            role=role,
            sees_key_list=i % 5 != 0,
        )
        for role in _SUPPORT_ROLES
        for i in range(5)
    ]
    return tuple(staff)


def synthetic_reports(spec: SyntheticSpec) -> tuple[Report, ...]:
    """Weekly reports to each department head over the last weeks before the export.

    A head's report covers the accounts of its managers; every fifth account is
    left out of all of them, so the reporting principle has gaps to find.
    """
    reports = []
    for week in range(REPORT_WEEKS):
        at = spec.exported_at - timedelta(days=7 * (REPORT_WEEKS - week), hours=2)
        covered: list[list[str]] = [[] for _ in range(spec.heads)]
        for index in range(spec.accounts):
            if index % _UNREPORTED_EVERY != _UNREPORTED_EVERY - 1:
                head = (index % spec.managers) // MANAGERS_PER_HEAD
                covered[head].append(account_id(index))
        reports += [
            Report(id=f"R-{week + 1}-{head + 1}", at=at, to=_head_id(head), account_ids=ids)
            for head, ids in enumerate(covered)
            if ids
        ]
    return tuple(reports)


class _Account:
    """Builds one client file from its own random generator."""

    def __init__(self, spec: SyntheticSpec, index: int) -> None:
        self.spec = spec
        self.index = index
        self.id = account_id(index)
        # A string seed is hashed with SHA-512: the same in every process and run.
        self.rng = random.Random(f"kamcore-synthetic:{spec.seed}:{index}")
        self.end = spec.exported_at
        self.start = self.end - timedelta(days=HISTORY_DAYS)
        self.events: list[Event] = []
        self.owner = _manager_id(index % spec.managers)
        self.contacts: tuple[Contact, ...] = ()

    def moment(self, after: datetime, within_days: float) -> datetime:
        """A moment in ``(after, after + within_days]`` rounded to the minute, maybe past the end."""
        minutes = 1 + int(self.rng.random() * within_days * 24 * 60)
        return after + timedelta(minutes=minutes)

    def chance(self, share: float) -> bool:
        """``True`` with probability *share*."""
        return self.rng.random() < share

    def event_id(self) -> str:
        return f"{self.id}-E{len(self.events) + 1:04d}"

    def by(self) -> str:
        return self.owner if self.chance(0.7) else self.rng.choice(_support_ids())

    def contact_id(self) -> str | None:
        return self.rng.choice(self.contacts).id if self.contacts else None

    def add(self, event: Event) -> Event:
        self.events.append(event)
        return event

    def common(self, at: datetime) -> dict[str, Any]:
        fields: dict[str, Any] = {"id": self.event_id(), "at": at, "by": self.by()}
        if self.chance(0.05):
            fields["documents"] = (Document(name="minutes.pdf", media_type="application/pdf"),)
        return fields

    def build(self) -> ClientFile:
        rng = self.rng
        tier = _weighted(rng, _TIERS)
        account = self.account(tier)
        self.contacts = account.contacts
        silent_since = (
            self.end - timedelta(days=rng.uniform(*_SILENCE_DAYS))
            if self.chance(_SILENT_SHARE)
            else self.end
        )
        budget = self.spec.events_per_account
        stories = [name for name, _ in _STORY_WEIGHTS]
        weights = [weight for _, weight in _STORY_WEIGHTS]
        while len(self.events) < budget:
            story = rng.choices(stories, weights)[0]
            at = self.moment(self.start, (silent_since - self.start).total_seconds() / 86400)
            getattr(self, f"story_{story}")(at, budget)
        return ClientFile(
            account=account, transactions=self.transactions(tier), timeline=Timeline(self.events)
        )

    def account(self, tier: str) -> Account:
        rng = self.rng
        contacts = tuple(
            Contact(
                id=f"{self.id}-C{n + 1}",
                name=f"Contact {n + 1} of {self.id}",
                position=rng.choice(_POSITIONS) if self.chance(0.8) else None,
                channel=rng.choice(sorted(CHANNELS)) if self.chance(0.7) else None,
                language=rng.choice(_LANGUAGES),
                email=f"c{n + 1}@{self.id.lower()}.example",
            )
            for n in range(rng.choice((0, 1, 1, 2, 2, 3, 4)))
        )
        notes = tuple(
            PersonalNote(
                text=f"note {n + 1}",
                topic=rng.choice(_NOTE_TOPICS),
                contact_id=contacts[0].id if contacts and self.chance(0.5) else None,
            )
            for n in range(rng.choice((0, 0, 1, 2)))
        )
        facts: dict[str, str | int | float | bool] = {
            "brand_recognition": rng.choices(("high", "medium", "low"), (15, 35, 50))[0],
            "annual_potential": rng.choice((50_000, 150_000, 600_000, 1_200_000)),
            "new_segment": self.chance(0.08),
            "media_active": self.chance(0.15),
            "uses_competitor": self.chance(0.35),
            "strategic_list": tier == "strategic",
        }
        return Account(
            id=self.id,
            name=f"Synthetic Client {self.index + 1}",
            owner=self.owner,
            tier=tier,
            client_since=date(2015, 1, 1) + timedelta(days=rng.randrange(3650)),
            facts=facts,
            contacts=contacts,
            needs=tuple(rng.sample(_PRODUCTS, rng.randrange(3))),
            preferences=("weekly update call",) if self.chance(0.5) else (),
            personal_notes=notes,
        )

    def transactions(self, tier: str) -> tuple[Transaction, ...]:
        rng = self.rng
        low, high = _TIER_AMOUNT[tier]
        currency = rng.choice(_CURRENCIES)
        return tuple(
            Transaction(
                id=f"{self.id}-T{n + 1:03d}",
                at=self.moment(self.start, HISTORY_DAYS - 1),
                product=rng.choice(_PRODUCTS),
                # A refund now and then: a negative amount.
                amount=Decimal(rng.randrange(low, high)) * (-1 if self.chance(0.03) else 1),
                currency=currency,
            )
            for n in range(rng.randint(*_TIER_PURCHASES[tier]))
        )

    # Stories: an opener, then what continued it while the budget and the
    # export moment allow. A continuation past the export is never written, so
    # the lifecycle stays open, as it would in a real export.

    def then(self, at: datetime, within_days: float, budget: int) -> datetime | None:
        if len(self.events) >= budget:
            return None
        later = self.moment(at, within_days)
        return later if later <= self.end else None

    def story_interaction(self, at: datetime, budget: int) -> None:
        rng = self.rng
        self.add(
            Interaction(
                **self.common(at),
                channel=rng.choice(sorted(CHANNELS)),
                initiated_by="us" if self.chance(0.7) else "client",
                personal=self.chance(0.85),
                topics=tuple(rng.sample(_TOPICS, rng.randrange(3))),
                contact_id=self.contact_id(),
            )
        )

    def story_request(self, at: datetime, budget: int) -> None:
        rng = self.rng
        request = self.add(
            Request(
                **self.common(at),
                subject="price list" if self.chance(0.5) else "integration question",
                channel=rng.choice(sorted(CHANNELS)),
                contact_id=self.contact_id(),
            )
        )
        moment = at
        if self.chance(0.3) and (promised := self.then(at, 1, budget)):
            moment = promised
            self.add(
                AnswerPromised(
                    **self.common(moment),
                    request_id=request.id,
                    answer_by=moment + timedelta(days=rng.randint(1, 7)),
                )
            )
        if self.chance(0.85) and (answered := self.then(moment, 3, budget)):
            declined = self.chance(0.15)
            self.add(
                RequestAnswered(
                    **self.common(answered),
                    request_id=request.id,
                    declined=declined,
                    alternative="a cheaper plan" if declined and self.chance(0.6) else None,
                )
            )

    def story_promise(self, at: datetime, budget: int) -> None:
        rng = self.rng
        due = at + timedelta(days=rng.randint(3, 30))
        promise = self.add(Promise(**self.common(at), what="deliver the proposal", due=due))
        moment = at
        # Slips: a third of promises move at least once, some several times.
        while self.chance(0.33) and (later := self.then(moment, 20, budget)):
            moment = later
            due = due + timedelta(days=rng.randint(3, 14))
            proper = self.chance(0.6)
            self.add(
                PromiseRenegotiated(
                    **self.common(moment),
                    promise_id=promise.id,
                    new_due=due if proper or self.chance(0.5) else None,
                    explanation="supplier delay" if proper else None,
                    apology=proper,
                    written=proper or self.chance(0.3),
                )
            )
        if self.chance(0.8) and (kept := self.then(moment, 25, budget)):
            self.add(PromiseKept(**self.common(kept), promise_id=promise.id))

    def story_complaint(self, at: datetime, budget: int) -> None:
        rng = self.rng
        complaint = self.add(
            Complaint(**self.common(at), subject="late delivery", contact_id=self.contact_id())
        )
        moment = at
        for step in COMPLAINT_STEPS[: rng.randint(0, len(COMPLAINT_STEPS))]:
            later = self.then(moment, 4, budget)
            if later is None:
                break
            moment = later
            self.add(
                ComplaintStep(
                    **self.common(moment), complaint_id=complaint.id, step=step, owner=self.owner
                )
            )

    def story_survey(self, at: datetime, budget: int) -> None:
        rng = self.rng
        self.add(
            SurveyResponse(
                **self.common(at),
                product_quality=float(rng.randint(1, 5)),
                service_attitude=float(rng.randint(2, 5)),
                resolution_efficiency=float(rng.randint(1, 5)) if self.chance(0.8) else None,
                nps=rng.randint(0, 10) if self.chance(0.5) else None,
                contact_id=self.contact_id(),
            )
        )

    def story_goal(self, at: datetime, budget: int) -> None:
        rng = self.rng
        participants = (self.contacts[0].id,) if self.contacts and self.chance(0.8) else ()
        goal = self.add(
            Goal(
                **self.common(at),
                title="grow adoption",
                client_participants=participants,
                target=at + timedelta(days=rng.randint(60, 365)),
            )
        )
        moment, progress = at, 0.0
        while self.chance(0.6) and (later := self.then(moment, 60, budget)):
            moment, progress = later, min(1.0, progress + rng.choice((0.1, 0.2, 0.3)))
            self.add(GoalProgress(**self.common(moment), goal_id=goal.id, progress=progress))

    def story_situation(self, at: datetime, budget: int) -> None:
        situation = self.add(Situation(**self.common(at), description="customs hold"))
        if self.chance(0.7) and (later := self.then(at, 5, budget)):
            self.add(
                SituationResponse(
                    **self.common(later),
                    situation_id=situation.id,
                    playbook="re-route through the bonded warehouse",
                    reusable=self.chance(0.5),
                )
            )

    def story_adverse_change(self, at: datetime, budget: int) -> None:
        rng = self.rng
        change = self.add(
            AdverseChange(
                **self.common(at),
                change=rng.choice(sorted(ADVERSE_CHANGES)),
                description="list prices rise 5%",
            )
        )
        if self.chance(0.8) and (told := self.then(at, 10, budget)):
            self.add(
                ChangeCommunicated(
                    **self.common(told),
                    change_id=change.id,
                    alternatives=("annual prepayment",) if self.chance(0.7) else (),
                    written=self.chance(0.7),
                    contact_id=self.contact_id(),
                )
            )

    def story_wait(self, at: datetime, budget: int) -> None:
        rng = self.rng
        openers = [e.id for e in self.events if isinstance(e, Request | Promise | Complaint)]
        about = rng.choice(openers) if openers and self.chance(0.7) else None
        opened = next((e.at for e in self.events if e.id == about), self.start)
        at = max(at, opened)
        wait = self.add(WaitStarted(**self.common(at), reason="client's sign-off", about=about))
        if self.chance(0.75) and (ended := self.then(at, 6, budget)):
            self.add(WaitEnded(**self.common(ended), wait_id=wait.id))

    def story_decision(self, at: datetime, budget: int) -> None:
        rng = self.rng
        snooze = self.chance(0.6)
        self.add(
            Decision(
                **self.common(at),
                finding=rng.choice(_FINDING_CODES),
                action="snooze" if snooze else "acknowledge",
                until=at + timedelta(days=rng.randint(7, 90)) if snooze else None,
                reason="agreed with the department head",
            )
        )


def _support_ids() -> tuple[str, ...]:
    return tuple(f"{role}-{i + 1}" for role in _SUPPORT_ROLES for i in range(5))


def _weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([name for name, _ in choices], [weight for _, weight in choices])[0]


def synthetic_client_file(spec: SyntheticSpec, index: int, *, variant: int = 0) -> ClientFile:
    """The client file at position *index* (0-based) of the portfolio *spec* describes.

    Args:
        spec: the portfolio.
        index: the account's position.
        variant: ``0`` for the account as the portfolio holds it; any other number
            gives the same account (id, owner) with other data, as if it changed.
    """
    if variant:
        # Same id and owner, another generator: "the account changed since".
        builder = _Account(spec, index)
        builder.rng = random.Random(f"kamcore-synthetic:{spec.seed}:{index}:v{variant}")
        return builder.build()
    return _Account(spec, index).build()


def _client_files(spec: SyntheticSpec) -> Iterator[ClientFile]:
    for index in range(spec.accounts):
        yield synthetic_client_file(spec, index)


def write_synthetic_portfolio(
    spec: SyntheticSpec,
    stream: IO[str],
    *,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 1000,
) -> int:
    """Write the portfolio *spec* describes to *stream* as a portfolio document.

    The document is written piece by piece, one account at a time, so memory
    does not grow with the size of the portfolio.

    Args:
        spec: what to generate.
        stream: a text stream open for writing.
        progress: called with the number of accounts written so far, every
            *progress_every* accounts and once at the end.
        progress_every: how often *progress* is called.

    Returns:
        The number of accounts written.
    """
    header: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": spec.exported_at.isoformat(),
        "staff": [dump_record(member) for member in synthetic_staff(spec)],
        "reports": [dump_record(report) for report in synthetic_reports(spec)],
    }
    # The header's closing brace is replaced by the accounts list, which comes
    # last so that a reader can review each account as it reads it.
    stream.write(json.dumps(header, ensure_ascii=False)[:-1] + ', "accounts": [\n')
    written = 0
    for client in _client_files(spec):
        if written:
            stream.write(",\n")
        stream.write(json.dumps(encode_client_file(client), ensure_ascii=False))
        written += 1
        if progress is not None and written % progress_every == 0:
            progress(written)
    stream.write("\n]}\n")
    if progress is not None and written % progress_every:
        progress(written)
    return written
