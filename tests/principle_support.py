"""What the principle tests share: a clock, the default standards, and checked runs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from kamcore.classification import load_classifier
from kamcore.model import ClientFile, StaffMember
from kamcore.review import ACTIONS, Finding, ReviewContext, ReviewSettings, SimplePrinciple

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
RULES = load_classifier().rules
KEY_STANDARD = RULES.tier("key").standard
REGULAR_STANDARD = RULES.tier("regular").standard
KEY_FACTS = {"brand_recognition": "high", "strategic_list": True, "new_segment": True}


def at(days: float = 0, hours: float = 0) -> datetime:
    """*days* and *hours* after :data:`T0`."""
    return T0 + timedelta(days=days, hours=hours)


def review_context(
    client: ClientFile,
    *,
    as_of: datetime,
    key: bool = True,
    staff: Mapping[str, StaffMember] | None = None,
    report_times: Iterable[datetime] = (),
    settings: ReviewSettings | None = None,
) -> ReviewContext:
    """A review context as ``review()`` builds it: the file cut at *as_of*."""
    return ReviewContext(
        client=client.as_of(as_of),
        as_of=as_of,
        tier="key" if key else "regular",
        key=key,
        standard=KEY_STANDARD if key else REGULAR_STANDARD,
        staff=staff or {},
        report_times=tuple(report_times),
        settings=settings or ReviewSettings(),
    )


def run(principle: SimplePrinciple, ctx: ReviewContext, *, due: bool = False) -> list[Finding]:
    """The principle's findings, checked against the conventions every finding follows
    (with *due*, every finding must have a due time)."""
    findings = list(principle.check(ctx))
    known = {e.id for e in ctx.client.timeline} | {t.id for t in ctx.client.transactions}
    for finding in findings:
        assert finding.code in principle.codes
        assert finding.principle == principle.id
        assert finding.message == f"{principle.id}.{finding.code}"
        assert finding.action in ACTIONS
        assert finding.account_id == ctx.account_id
        assert finding.owner == ctx.owner
        assert set(finding.evidence) <= known
        if due:
            assert isinstance(finding.due, datetime)
    return findings
