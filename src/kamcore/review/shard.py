"""Review a portfolio in shards: split it, review each part anywhere, merge the agendas.

An account's findings and health depend on its own client file, the staff,
the reports that cover it and the rules: nothing about the other accounts. So
the accounts can be split into parts, each part reviewed on its own (another
process, another machine: every input pickles), and the agendas merged into
the one a single review gives. docs/cluster.md shows it on Dask.

    >>> from kamcore import SAMPLE_PORTFOLIO, load_portfolio
    >>> portfolio = load_portfolio(SAMPLE_PORTFOLIO).portfolio
    >>> as_of = portfolio.exported_at
    >>> parts = split_portfolio(portfolio, 3)
    >>> merged = merge_agendas([review_shard(part, as_of) for part in parts])
    >>> merged == review(portfolio, as_of)
    True
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

import attrs

from kamcore.classification import load_classifier
from kamcore.model import ClientFile, Portfolio
from kamcore.review.agenda import Agenda, _order, _set_groups, review
from kamcore.review.finding import Finding
from kamcore.review.health import Health
from kamcore.review.principle import Principle, ReviewSettings

__all__ = ["merge_agendas", "review_shard", "split_portfolio"]


def split_portfolio(portfolio: Portfolio, parts: int) -> tuple[Portfolio, ...]:
    """*portfolio* as up to *parts* portfolios of consecutive accounts, in order.

    Each part has all the staff, and the reports cut down to its own accounts
    (a report that covers none of them is left out), so reviewing a part gives
    exactly the part of a full review on its accounts.

    Raises:
        ValueError: *parts* is below 1.
    """
    if parts < 1:
        raise ValueError(f"parts must be at least 1, got {parts}")
    clients = list(portfolio)
    size = max(1, -(-len(clients) // parts))
    return tuple(
        _part(portfolio, clients[start : start + size]) for start in range(0, len(clients), size)
    )


def _part(portfolio: Portfolio, clients: Sequence[ClientFile]) -> Portfolio:
    ids = {client.id for client in clients}
    reports = []
    for report in portfolio.reports:
        covered = tuple(a for a in report.account_ids if a in ids)
        if covered:
            reports.append(attrs.evolve(report, account_ids=covered))
    return Portfolio(
        files=clients,
        staff=portfolio.staff,
        reports=reports,
        exported_at=portfolio.exported_at,
    )


def review_shard(
    shard: Portfolio,
    as_of: datetime,
    *,
    rules: str | Path | None = None,
    principles: Sequence[Principle] | None = None,
    settings: ReviewSettings | None = None,
) -> Agenda:
    """:func:`~kamcore.review.review` one part of a portfolio, where it runs.

    Takes what pickles: the rule set by its file (compiled here, since a compiled
    classifier holds functions), and principles only when they pickle (the
    built-in ones do); by default the ones installed where it runs.

    Args:
        shard: a part from :func:`split_portfolio` (or any portfolio).
        as_of: the moment of the review.
        rules: a TOML or JSON rule set file; kamcore's default rule set when ``None``.
        principles: the checks; the installed ones when ``None``.
        settings: review settings; the defaults when ``None``.
    """
    return review(
        shard,
        as_of,
        classifier=load_classifier(rules),
        principles=principles,
        settings=settings,
    )


def merge_agendas(agendas: Sequence[Agenda]) -> Agenda:
    """The agenda of the whole portfolio from the agendas of its parts, in part order.

    Raises:
        ValueError: no agendas, agendas of different moments, or an account in two of them.
    """
    if not agendas:
        raise ValueError("no agendas to merge")
    as_of = agendas[0].as_of
    health: dict[str, Health] = {}
    for agenda in agendas:
        if agenda.as_of != as_of:
            raise ValueError("cannot merge agendas of different moments")
        for account, value in agenda.health.items():
            if account in health:
                raise ValueError(f"account {account!r} is in two agendas")
            health[account] = value
    merged = Agenda(
        as_of=as_of,
        findings=_merged(agenda.findings for agenda in agendas),
        snoozed=_merged(agenda.snoozed for agenda in agendas),
        acknowledged=_merged(agenda.acknowledged for agenda in agendas),
        health=health,
    )
    # The parts' accounts are apart, so their findings by account simply add up
    # (and the merged agenda takes incremental merges without a pass of its own).
    groups: dict[str, tuple[Sequence[Finding], Sequence[Finding], Sequence[Finding]]] = {}
    for agenda in agendas:
        groups.update(agenda._by_account())
    _set_groups(merged, groups)
    return merged


def _merged(parts: Iterable[Sequence[Finding]]) -> tuple[Finding, ...]:
    # Each part is in agenda order already.
    return tuple(heapq.merge(*parts, key=_order))
