"""``review()``: every principle over every account, gathered into an agenda."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

import attrs
import pluggy

from kamcore.classification import Classifier, load_classifier
from kamcore.errors import KamcoreError
from kamcore.model import ClientFile, Decision, Event, Portfolio, Timeline, Transaction
from kamcore.review.finding import Finding, severity_rank
from kamcore.review.health import Health, account_health
from kamcore.review.principle import Principle, ReviewContext, ReviewSettings

__all__ = [
    "AGENDA_VERSION",
    "Agenda",
    "DuplicatePrincipleError",
    "installed_principles",
    "review",
    "review_account",
]

AGENDA_VERSION: Final = 1
"""The version of the agenda's JSON form (``kamcore review --format json``)."""


@attrs.frozen
class Agenda:
    """The result of a review: what needs doing, by whom, by when.

    Attributes:
        as_of: the moment reviewed.
        findings: open findings, by due time (no due time last), then severity
            (worst first), account and code.
        snoozed: findings a manager snoozed until after ``as_of``.
        acknowledged: findings a manager acknowledged (still open, not nagged about).
        health: per account, its health.
    """

    as_of: datetime
    findings: tuple[Finding, ...]
    snoozed: tuple[Finding, ...] = ()
    acknowledged: tuple[Finding, ...] = ()
    health: Mapping[str, Health] = attrs.field(factory=dict)

    def by_owner(self) -> dict[str, tuple[Finding, ...]]:
        """Open findings grouped by owner, owners in name order."""
        groups: defaultdict[str, list[Finding]] = defaultdict(list)
        for finding in self.findings:
            groups[finding.owner].append(finding)
        return {owner: tuple(groups[owner]) for owner in sorted(groups)}

    def for_account(self, account_id: str) -> tuple[Finding, ...]:
        """The open findings on one account."""
        return tuple(f for f in self.findings if f.account_id == account_id)

    def as_dict(self) -> dict[str, Any]:
        """The agenda as JSON-ready values (the documented, versioned form)."""
        return {
            "version": AGENDA_VERSION,
            "as_of": self.as_of.isoformat(),
            "findings": [f.as_dict() for f in self.findings],
            "snoozed": [f.as_dict() for f in self.snoozed],
            "acknowledged": [f.as_dict() for f in self.acknowledged],
            "health": {account: h.as_dict() for account, h in self.health.items()},
        }


class DuplicatePrincipleError(KamcoreError, ValueError):
    """Two installed principles have the same id."""


def _order(finding: Finding) -> tuple[Any, ...]:
    due = finding.due.timestamp() if finding.due else float("inf")
    return (due, -severity_rank(finding.severity), finding.account_id, finding.code, finding.key)


def installed_principles(plugins: pluggy.PluginManager | None = None) -> tuple[Principle, ...]:
    """Every principle the plugins provide (the built-in ones are a plugin too), by id."""
    from kamcore.plugins import get_plugin_manager

    manager = plugins if plugins is not None else get_plugin_manager()
    found: dict[str, Principle] = {}
    for provided in manager.hook.kamcore_principles():
        for principle in provided:
            if principle.id in found:
                raise DuplicatePrincipleError(
                    f"two plugins provide a principle with id {principle.id!r}"
                )
            found[principle.id] = principle
    return tuple(found[key] for key in sorted(found))


def review_account(context: ReviewContext, principles: Sequence[Principle]) -> list[Finding]:
    """Every finding of *principles* on one account, each situation once."""
    unique: dict[str, Finding] = {}
    for principle in principles:
        for finding in principle.check(context):
            unique.setdefault(finding.key, finding)
    return list(unique.values())


def _decided(
    findings: Iterable[Finding], decisions: Sequence[Decision], as_of: datetime
) -> tuple[list[Finding], list[Finding], list[Finding]]:
    open_, snoozed, acknowledged = [], [], []
    for finding in findings:
        # A decision names one finding by its key, or every finding of a kind on
        # the account by its code or its principle-qualified code.
        names = (finding.key, finding.code, f"{finding.principle}.{finding.code}")
        latest = next((d for d in reversed(decisions) if d.finding in names), None)
        if (
            latest is not None
            and latest.action == "snooze"
            and latest.until
            and latest.until > as_of
        ):
            snoozed.append(finding)
        elif latest is not None and latest.action == "acknowledge":
            acknowledged.append(finding)
        else:
            open_.append(finding)
    return open_, snoozed, acknowledged


def review(
    portfolio: Portfolio,
    as_of: datetime,
    *,
    classifier: Classifier | None = None,
    principles: Sequence[Principle] | None = None,
    settings: ReviewSettings | None = None,
) -> Agenda:
    """Check every account of *portfolio* against every principle as of *as_of*.

    Pure and deterministic: the same inputs give the same agenda, and nothing
    recorded after *as_of* changes it (the portfolio is cut at *as_of* first).
    Nor does the order the source lists records in: records at the same moment
    are put in id order before the checks read them.

    Args:
        portfolio: the accounts to review.
        as_of: the moment of the review.
        classifier: classifies each account to find its tier's service standard;
            the default rule set when ``None``.
        principles: the checks; the installed ones when ``None``.
        settings: review settings; the defaults when ``None``.
    """
    classifier = classifier if classifier is not None else load_classifier()
    principles = tuple(principles) if principles is not None else installed_principles()
    settings = settings if settings is not None else ReviewSettings()
    staff = {member.id: member for member in portfolio.staff}
    reports: defaultdict[str, list[datetime]] = defaultdict(list)
    for report in portfolio.reports:
        if report.at <= as_of:
            for account_id in report.account_ids:
                reports[account_id].append(report.at)
    findings: list[Finding] = []
    snoozed: list[Finding] = []
    acknowledged: list[Finding] = []
    health: dict[str, Health] = {}
    for original in portfolio:
        client = _known(original, as_of)
        context = _context(
            client,
            as_of,
            classifier=classifier,
            staff=staff,
            report_times=reports[client.id],
            settings=settings,
        )
        found = review_account(context, principles)
        decided = _decided(found, client.timeline.decisions(), as_of)
        findings += decided[0]
        snoozed += decided[1]
        acknowledged += decided[2]
        health[client.id] = account_health(context, decided[0])
    return Agenda(
        as_of=as_of,
        findings=tuple(sorted(findings, key=_order)),
        snoozed=tuple(sorted(snoozed, key=_order)),
        acknowledged=tuple(sorted(acknowledged, key=_order)),
        health=health,
    )


def _event_order(event: Event) -> tuple[Any, ...]:
    return (event.at, event.REF is not None, event.id)


def _transaction_order(transaction: Transaction) -> tuple[Any, ...]:
    return (transaction.at, transaction.id)


def _known(client: ClientFile, as_of: datetime) -> ClientFile:
    """*client* as known at *as_of*, in a canonical order.

    Records at the same moment keep the order the source gave them in (see
    :class:`~kamcore.model.Timeline`), and checks read "the latest" answer date,
    new due date or decision; ordering ties by id makes the agenda independent
    of the order the source happened to list them in.
    """
    return ClientFile(
        account=client.account,
        transactions=sorted(
            (t for t in client.transactions if t.at <= as_of), key=_transaction_order
        ),
        timeline=Timeline(sorted((e for e in client.timeline if e.at <= as_of), key=_event_order)),
    )


def _context(
    client: ClientFile,
    as_of: datetime,
    *,
    classifier: Classifier,
    staff: Mapping[str, Any],
    report_times: Sequence[datetime],
    settings: ReviewSettings,
) -> ReviewContext:
    classification = classifier.classify(client, as_of)
    tier = classifier.rules.tier(classification.tier)
    return ReviewContext(
        client=client,
        as_of=as_of,
        tier=tier.id,
        key=tier.key,
        standard=tier.standard,
        staff=staff,
        report_times=tuple(sorted(report_times)),
        settings=settings,
        currency=classifier.rules.currency,
    )
