"""``review()``: every principle over every account, gathered into an agenda."""

from __future__ import annotations

import bisect
import heapq
import itertools
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar

import attrs
import pluggy

from kamcore.classification import Classifier, load_classifier
from kamcore.errors import KamcoreError, UnknownAccountError
from kamcore.model import (
    ClientFile,
    Decision,
    Event,
    Portfolio,
    Report,
    StaffMember,
    Timeline,
    Transaction,
)
from kamcore.review.finding import SEVERITIES, Finding, severity_rank
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


class _Timed(Protocol):
    @property
    def at(self) -> datetime: ...


R = TypeVar("R", bound=_Timed)

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
    # The findings, snoozed and acknowledged findings of each account (accounts with
    # none are absent): what lets an incremental merge and ``for_account`` cost as
    # much as the accounts concerned, not a pass over the whole agenda. ``review()``
    # hands it over; for an agenda built otherwise it is built on first use.
    _groups: _Groups | None = attrs.field(default=None, init=False, eq=False, repr=False)
    # An agenda made by ``replace_accounts`` leaves its three ordered tuples unset
    # until they are first read, and keeps here what they are made of.
    _pending: _Pending | None = attrs.field(default=None, init=False, eq=False, repr=False)

    if not TYPE_CHECKING:  # to mypy the three tuples are plain attributes, always there

        def __getattr__(self, name: str) -> tuple[Finding, ...]:
            # Called only when normal lookup fails: for the tuples, when they are unset.
            if name not in _ORDERED or object.__getattribute__(self, "_pending") is None:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            for kind, ordered in zip(_ORDERED, self._pending.ordered(self._groups), strict=True):
                object.__setattr__(self, kind, ordered)
            object.__setattr__(self, "_pending", None)
            return object.__getattribute__(self, name)

    def _by_account(self) -> _Groups:
        if self._groups is not None:
            return self._groups
        groups: dict[str, tuple[list[Finding], list[Finding], list[Finding]]] = {}
        for index, kind in enumerate((self.findings, self.snoozed, self.acknowledged)):
            for finding in kind:
                groups.setdefault(finding.account_id, ([], [], []))[index].append(finding)
        _set_groups(self, groups)
        return groups

    def by_owner(self) -> dict[str, tuple[Finding, ...]]:
        """Open findings grouped by owner, owners in name order."""
        groups: defaultdict[str, list[Finding]] = defaultdict(list)
        for finding in self.findings:
            groups[finding.owner].append(finding)
        return {owner: tuple(groups[owner]) for owner in sorted(groups)}

    def for_account(self, account_id: str) -> tuple[Finding, ...]:
        """The open findings on one account, in agenda order."""
        group = self._by_account().get(account_id)
        return tuple(sorted(group[0], key=_order)) if group else ()

    def replace_accounts(self, reviewed: Agenda, account_ids: Iterable[str]) -> Agenda:
        """This agenda with the accounts *account_ids* as *reviewed* has them.

        The incremental review: after some accounts changed, review only those
        (``review(portfolio, as_of, accounts=changed)``) and merge the result into
        the previous agenda. The merge equals a full review of the changed
        portfolio, in the same order. It costs a copy of the per-account tables
        (health, findings by account) and the accounts replaced; the ordered
        tuples (:attr:`findings`, :attr:`snoozed`, :attr:`acknowledged`) are
        made when first read, each finding of the accounts replaced found or
        placed by a binary search and the rest copied as it is.

        Args:
            reviewed: a review at the same moment that covers *account_ids*.
            account_ids: the accounts to take from *reviewed*; one that *reviewed*
                has no health for (it left the portfolio) drops out of the agenda.

        Raises:
            ValueError: *reviewed* is of another moment.
        """
        if reviewed.as_of != self.as_of:
            raise ValueError(
                f"cannot merge a review as of {reviewed.as_of.isoformat()} into an agenda "
                f"as of {self.as_of.isoformat()}"
            )
        replaced = set(account_ids)
        # A copy of the health table (in C) with the replaced accounts changed in
        # place; accounts new to the portfolio come last, as in a full review.
        health = dict(self.health)
        for account, value in reviewed.health.items():
            if account in replaced:
                health[account] = value
        for account in replaced - reviewed.health.keys():
            health.pop(account, None)
        previous_groups, reviewed_groups = self._by_account(), reviewed._by_account()
        groups = dict(previous_groups)
        for account in replaced:
            groups.pop(account, None)
            if account in reviewed_groups:
                groups[account] = reviewed_groups[account]
        # The ordered tuples are made when first read, from the last ones made
        # (this agenda's, or those its own merge starts from) and every account
        # replaced since: a chain of merges that nobody reads costs no pass at all.
        pending = self._pending
        if pending is None:
            pending = _Pending(
                (self.findings, self.snoozed, self.acknowledged), previous_groups, frozenset()
            )
        agenda = object.__new__(Agenda)
        object.__setattr__(agenda, "as_of", self.as_of)
        object.__setattr__(agenda, "health", health)
        _set_groups(agenda, groups)
        object.__setattr__(
            agenda, "_pending", attrs.evolve(pending, replaced=pending.replaced | replaced)
        )
        return agenda

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
    # The sort key of every finding of a review, and of each probe of a merge's
    # searches: the severity's rank is a dict lookup, not a call.
    due = finding.due
    return (
        _UNDATED if due is None else due.timestamp(),
        _WORST_FIRST[finding.severity],
        finding.account_id,
        finding.code,
        finding.key,
    )


_UNDATED: Final = float("inf")
"""Where a finding with no due time sorts: after every due time."""
_WORST_FIRST: Final = {severity: -severity_rank(severity) for severity in SEVERITIES}


def _merged(
    previous: Sequence[Finding], dropped: Iterable[Finding], added: Sequence[Finding]
) -> tuple[Finding, ...]:
    """*previous* (in agenda order) without *dropped*, plus *added* (in agenda order).

    Every finding is found or placed with a search, so the sort keys of the
    whole agenda are never computed and no Python code runs per kept finding:
    the kept ones are copied in slices, in C, straight into the new tuple.
    (Through a list, each kept finding would be touched three times instead of
    once, and at 100,000 accounts each touch is a cache miss.)
    """
    placer = _Placer(previous)
    drops = sorted(placer.position(finding) for finding in dropped)
    return tuple(itertools.chain.from_iterable(_pieces(placer, drops, added)))


def _pieces(
    placer: _Placer, drops: Sequence[int], added: Sequence[Finding]
) -> Iterator[Sequence[Finding]]:
    """The slices of the findings between the positions *drops*, with *added* placed among them."""
    previous = placer.findings
    start = next_drop = 0
    # Both the drops and the insertion points ascend: one walk along *previous*.
    for finding in added:
        position = placer.position(finding, start)
        while next_drop < len(drops) and drops[next_drop] < position:
            yield previous[start : drops[next_drop]]
            start = drops[next_drop] + 1
            next_drop += 1
        yield previous[start:position]
        yield (finding,)
        start = position
    for position in drops[next_drop:]:
        yield previous[start:position]
        start = position + 1
    yield previous[start:]


_SAMPLED: Final = 64
"""How far apart the due times :class:`_Placer` samples are."""


class _Placer:
    """Finds where a finding is or belongs among an agenda's findings, in few reads of them.

    A probe of a binary search reads a finding and its due time somewhere in
    memory; at 100,000 accounts each read is a cache miss, and a search over
    the whole agenda takes twenty. So a sample of every :data:`_SAMPLED`-th due
    time (read once, for every search of a merge) narrows each search to that
    many findings first, and the few findings that share a due time are
    galloped over.

    Args:
        findings: findings in agenda order.
        every: how far apart the sampled due times are.
    """

    def __init__(self, findings: Sequence[Finding], every: int = _SAMPLED) -> None:
        self.findings = findings
        # Where the findings with no due time begin.
        self.undated = bisect.bisect_left(findings, True, key=_undated)
        self.every = every
        self.sample = list(map(_DUE, findings[: self.undated : every]))

    def position(self, finding: Finding, start: int = 0) -> int:
        """Where *finding* is or belongs (in agenda order, from *start* on).

        The search narrows by due time first (compared in C), then by the full
        order among those due at the same time; two findings never tie, as the
        order ends with the account and the finding's key.
        """
        findings, undated, every, due = self.findings, self.undated, self.every, finding.due
        if due is None:
            low, high = max(start, undated), len(findings)
        else:
            # sample[block - 1] < due <= sample[block]: the first finding due at
            # *due* or later is after the one sampled before, and no later than
            # the one sampled at *block*.
            block = bisect.bisect_left(self.sample, due)
            after = (block - 1) * every + 1 if block else 0
            until = max(start, min(block * every, undated))
            low = bisect.bisect_left(findings, due, lo=max(start, after), hi=until, key=_DUE)
            high = _due_end(findings, due, low, undated)
            # The usual cases need no sort key (each reads the finding's fields
            # from memory): none other due then, or the finding itself alone.
            if high == low or (high == low + 1 and findings[low] is finding):
                return low
        return bisect.bisect_left(findings, _order(finding), lo=low, hi=high, key=_order)


def _due_end(findings: Sequence[Finding], due: datetime, start: int, stop: int) -> int:
    """Where the findings due at *due* from *start* on end (at most *stop*).

    Few findings share a due time, and every probe reads a finding somewhere in
    memory: galloping from *start* takes a probe or three where a binary search
    up to *stop* would take twenty.
    """
    bound, step = start, 1
    while bound < stop and findings[bound].due == due:
        bound += step
        step *= 2
    return bisect.bisect_right(findings, due, lo=start, hi=min(bound, stop), key=_DUE)


_NONE: Final[tuple[list[Finding], list[Finding], list[Finding]]] = ([], [], [])
_Groups = Mapping[str, tuple[Sequence[Finding], Sequence[Finding], Sequence[Finding]]]
_ORDERED: Final = ("findings", "snoozed", "acknowledged")
"""The agenda's ordered tuples, in the order of each account's group."""


@attrs.frozen
class _Pending:
    """What the ordered tuples of a merged agenda are made of, until they are read.

    Attributes:
        base: the findings, snoozed and acknowledged findings of the last agenda
            whose tuples were made.
        base_groups: that agenda's findings by account.
        replaced: the accounts replaced since.
    """

    base: tuple[tuple[Finding, ...], tuple[Finding, ...], tuple[Finding, ...]]
    base_groups: _Groups
    replaced: frozenset[str]

    def ordered(self, groups: _Groups) -> list[tuple[Finding, ...]]:
        """The three tuples of the agenda whose findings by account are *groups*."""
        ordered = []
        for kind, previous in enumerate(self.base):
            dropped = [f for a in self.replaced for f in self.base_groups.get(a, _NONE)[kind]]
            added = [f for a in self.replaced for f in groups.get(a, _NONE)[kind]]
            ordered.append(_merged(previous, dropped, sorted(added, key=_order)))
        return ordered


def _set_groups(agenda: Agenda, groups: _Groups) -> None:
    # The agenda is frozen; its groups are a cache of what its findings say.
    object.__setattr__(agenda, "_groups", groups)


_DUE: Final = operator.attrgetter("due")


def _undated(finding: Finding) -> bool:
    return finding.due is None


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
    if not decisions:
        return list(findings), [], []  # the usual case: nothing decided on the account
    open_, snoozed, acknowledged = [], [], []
    for finding in findings:
        # A decision names one finding by its key, or every finding of a kind on
        # the account by its code or its principle-qualified code.
        names = (finding.key, finding.code, f"{finding.principle}.{finding.code}")
        latest = None
        for decision in reversed(decisions):  # a loop, not next(genexpr): per finding
            if decision.finding in names:
                latest = decision
                break
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
    accounts: Iterable[str] | None = None,
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
        accounts: check only the accounts with these ids (every account when
            ``None``). Each account's findings and health depend on nothing but its
            own client file, the staff, the reports and the rules, so this gives
            exactly the part of a full review on those accounts; merge it into a
            previous agenda with :meth:`Agenda.replace_accounts`.

    Raises:
        UnknownAccountError: *accounts* names an account that is not in *portfolio*.
    """
    clients: Iterable[ClientFile] = portfolio
    wanted: set[str] | None = None
    if accounts is not None:
        wanted = set(accounts)
        unknown = sorted(wanted - portfolio.files.keys())
        if unknown:
            raise UnknownAccountError(unknown[0])
        # In portfolio order, as a full review has them.
        files = portfolio.files
        clients = [files[account_id] for account_id in files if account_id in wanted]
    reviewer = _Reviewer(
        as_of,
        staff=portfolio.staff,
        report_times=_report_times(portfolio.reports, as_of, wanted),
        classifier=classifier,
        principles=principles,
        settings=settings,
    )
    for client in clients:
        reviewer.add(client)
    return reviewer.agenda()


class _Reviewer:
    """Reviews accounts one at a time and gathers what it found into an agenda.

    What :func:`review` does for each account of a portfolio, and
    :func:`~kamcore.review.review_stream` for each account as it is decoded: an
    account's review needs nothing but its own file and what is given here.
    """

    def __init__(
        self,
        as_of: datetime,
        *,
        staff: Iterable[StaffMember],
        report_times: Mapping[str, Sequence[datetime]],
        classifier: Classifier | None,
        principles: Sequence[Principle] | None,
        settings: ReviewSettings | None,
    ) -> None:
        self.as_of = as_of
        # One read-only view shared by every account's context (see ReviewContext.staff).
        self.staff = MappingProxyType({member.id: member for member in staff})
        self.report_times = report_times
        self.classifier = classifier if classifier is not None else load_classifier()
        self.principles = tuple(principles) if principles is not None else installed_principles()
        self.settings = settings if settings is not None else ReviewSettings()
        self.findings: list[Finding] = []
        self.snoozed: list[Finding] = []
        self.acknowledged: list[Finding] = []
        self.health: dict[str, Health] = {}
        self.groups: dict[str, tuple[list[Finding], list[Finding], list[Finding]]] = {}

    def add(self, original: ClientFile) -> None:
        """Review one account (each account once, in the order the agenda lists health)."""
        as_of = self.as_of
        client = _known(original, as_of)
        context = _context(
            client,
            as_of,
            classifier=self.classifier,
            staff=self.staff,
            report_times=self.report_times.get(client.id, ()),
            settings=self.settings,
        )
        found = review_account(context, self.principles)
        decided = _decided(found, client.timeline.decisions(), as_of)
        self.findings += decided[0]
        self.snoozed += decided[1]
        self.acknowledged += decided[2]
        if found:
            self.groups[client.id] = decided
        self.health[client.id] = account_health(context, decided[0])

    def agenda(self) -> Agenda:
        """The agenda of the accounts reviewed."""
        agenda = Agenda(
            as_of=self.as_of,
            findings=_sorted_findings(self.findings),
            snoozed=_sorted_findings(self.snoozed),
            acknowledged=_sorted_findings(self.acknowledged),
            health=self.health,
        )
        _set_groups(agenda, self.groups)
        return agenda


_RUN: Final = 1 << 16
"""How many findings :func:`_sorted_findings` sorts at a time."""


def _sorted_findings(findings: list[Finding]) -> tuple[Finding, ...]:
    """*findings* in agenda order.

    A sort holds the sort key of every finding at once, about 100 bytes each
    (70 MiB for the 740,219 findings of 100,000 accounts, the peak of a
    streaming review); sorted in runs, then merged, it holds the keys of one
    run. Findings never tie (the order ends with the account and the key), so
    the result is the one of a single sort.
    """
    if len(findings) <= _RUN:
        return tuple(sorted(findings, key=_order))
    runs = [sorted(findings[i : i + _RUN], key=_order) for i in range(0, len(findings), _RUN)]
    return tuple(heapq.merge(*runs, key=_order))


def _report_times(
    reports: Iterable[Report], as_of: datetime, wanted: set[str] | None = None
) -> dict[str, list[datetime]]:
    """When reports up to *as_of* covered each account (only the *wanted* ones, if given)."""
    times: defaultdict[str, list[datetime]] = defaultdict(list)
    for report in reports:
        if report.at > as_of:
            continue
        if wanted is None:
            for account_id in report.account_ids:
                times[account_id].append(report.at)
        else:
            # A report covers hundreds of accounts and a partial review wants few:
            # intersect in C rather than loop over them (a name listed twice counts twice).
            for account_id in wanted.intersection(report.account_ids):
                times[account_id] += [report.at] * report.account_ids.count(account_id)
    return times


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

    A file already in that order (the usual case: a source written by kamcore)
    keeps its records as they are, cut at *as_of* by slicing when anything came
    later, which saves re-validating its timeline: a prefix of a sound file is
    sound. Its timeline is still a copy of its own, so the views the checks
    compute on it go when the account's review is done.
    """
    known = client.trusted_copy()
    if _canonical(known, as_of):
        return known  # the usual case: reviewed at or after its last record
    # The copy is cut rather than the file: a cut is kept with the timeline it
    # was cut from, and must not stay on the portfolio with the views of a review.
    known = known.as_of(as_of)
    if _canonical(known, as_of):
        return known
    return ClientFile(
        account=client.account,
        transactions=sorted(known.transactions, key=_transaction_order),
        timeline=Timeline(sorted(known.timeline, key=_event_order)),
    )


def _canonical(client: ClientFile, as_of: datetime) -> bool:
    """Whether *client* has nothing after *as_of* and its records are in canonical order."""
    return _in_order(client.transactions, _transaction_order, as_of) and _in_order(
        client.timeline.events, _event_order, as_of
    )


def _in_order(records: Sequence[R], order: Callable[[R], tuple[Any, ...]], as_of: datetime) -> bool:
    """Whether *records* are sorted by *order* (whose first item is the time) up to *as_of*.

    The records are in time order already (the model keeps them so), so when no
    two are at the same moment the order's tie-breakers have nothing to decide;
    when some are, only the pairs at the same moment need them compared.
    """
    times = [record.at for record in records]
    if not times:
        return True
    if times[-1] > as_of:
        return False
    following = times[1:]
    if all(map(operator.lt, times, following)):
        return True
    tied = itertools.compress(itertools.count(), map(operator.eq, times, following))
    return all(map(operator.le, times, following)) and all(
        order(records[index]) <= order(records[index + 1]) for index in tied
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
    tier = classifier._tier_at(client, as_of)  # the tier alone: no explanation to build
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
