"""Review a portfolio file as it is read: each account reviewed as soon as it is decoded.

A review keeps, of each account, its findings and its health; the account's
records are needed only while it is checked. :func:`review_stream` reads a
portfolio document one account at a time (as
:func:`~kamcore.fileformat.decode_portfolio_stream` does) and reviews each one
at once, so the whole portfolio is never in memory: at 100,000 accounts and
2,000,000 events that is the difference between the findings and the findings
plus a gibibyte of model.

    >>> from kamcore import SAMPLE_PORTFOLIO, load_portfolio
    >>> from kamcore.review import review
    >>> with open(SAMPLE_PORTFOLIO, encoding="utf-8-sig") as stream:
    ...     agenda = review_stream(stream, source=SAMPLE_PORTFOLIO)
    >>> portfolio = load_portfolio(SAMPLE_PORTFOLIO).portfolio
    >>> agenda == review(portfolio, portfolio.exported_at)
    True

:func:`review_portfolio_stream` gives what else the document held besides the
agenda (the staff, each account's name and owner) and shows each account's
records, with its open findings, to a callback before they go: what a caller
that dates the findings (:func:`kamcore.escalation.opened_at`) or names their
accounts needs, without the portfolio.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import IO, Final

import attrs

from kamcore.classification import Classifier
from kamcore.errors import PortfolioFormatError, Problem
from kamcore.fileformat import StreamHeader, decode_portfolio_stream, without_records
from kamcore.model import ClientFile, Portfolio, Report, StaffMember
from kamcore.review.agenda import Agenda, _report_times, _Reviewer
from kamcore.review.finding import Finding
from kamcore.review.principle import Principle, ReviewSettings

__all__ = ["EachReview", "StreamedReview", "review_portfolio_stream", "review_stream"]

_HEADER: Final = frozenset({"staff", "reports"})
"""The members an account's review needs besides the account (and the moment)."""

EachReview = Callable[[ClientFile, tuple[Finding, ...], datetime], object]
"""Called with an account's client file as decoded, its open findings and the
moment of the review, once the account is reviewed (its return value is ignored)."""


@attrs.frozen(kw_only=True)
class StreamedReview:
    """What :func:`review_portfolio_stream` read: the agenda, and the portfolio without its records.

    Attributes:
        agenda: the review of every account, as :func:`review_stream` gives it.
        portfolio: the document's staff, reports and export time, and every
            account in document order; an account reviewed while it was read
            stands there by its id, name and owner only (its records went once
            reviewed), so read profiles from it, not records.
    """

    agenda: Agenda
    portfolio: Portfolio


def review_stream(
    stream: IO[str],
    as_of: datetime | None = None,
    *,
    source: str,
    classifier: Classifier | None = None,
    principles: Sequence[Principle] | None = None,
    settings: ReviewSettings | None = None,
) -> Agenda:
    """:func:`~kamcore.review.review` the portfolio document in *stream*, one account at a time.

    The agenda is the one ``review(decode_portfolio_stream(stream, source=source).portfolio,
    as_of)`` gives, and the document is refused for the same problems; what
    differs is memory. An account's review needs the staff, the reports that
    cover it and the moment, which a document may give before or after its
    accounts (a JSON object's members come in any order):

    - when ``staff``, ``reports`` (and ``exported_at``, if *as_of* is not given)
      come before ``accounts``, as kamcore's own writers put them, each account
      is reviewed as soon as it is decoded and dropped: memory holds the
      findings and, of each account, its health, id, name and owner;
    - otherwise the accounts are decoded and held until the end of the
      document, then reviewed: the memory of a load followed by a review.

    Args:
        stream: the document's text (open files with ``encoding="utf-8-sig"``).
        as_of: the moment of the review; the document's ``exported_at`` when ``None``.
        source: how the caller names the source; it appears in errors.
        classifier: as for :func:`~kamcore.review.review`.
        principles: as for :func:`~kamcore.review.review`.
        settings: as for :func:`~kamcore.review.review`.

    Raises:
        PortfolioFormatError: the document holds an invalid record or is not a
            portfolio, as with ``decode_portfolio_stream(strict=True)`` (the
            accounts before the problem may have been reviewed already: the
            problems are all listed once the whole document is read); or it
            gives ``staff``, ``reports`` or ``exported_at`` again after the
            accounts it was read before (which one counts is not defined).
        ValueError: *as_of* is ``None`` and the document has no ``exported_at``.
    """
    return review_portfolio_stream(
        stream,
        as_of,
        source=source,
        classifier=classifier,
        principles=principles,
        settings=settings,
    ).agenda


def review_portfolio_stream(
    stream: IO[str],
    as_of: datetime | None = None,
    *,
    source: str,
    classifier: Classifier | None = None,
    principles: Sequence[Principle] | None = None,
    settings: ReviewSettings | None = None,
    default_as_of: datetime | None = None,
    each_review: EachReview | None = None,
    staff_known: Callable[[tuple[StaffMember, ...]], object] | None = None,
) -> StreamedReview:
    """:func:`review_stream`, and what is left of the portfolio once its accounts are reviewed.

    Reads and reviews the document as :func:`review_stream` does, with the same
    memory, and refuses it for the same problems.

    Args:
        stream: as for :func:`review_stream`.
        as_of: as for :func:`review_stream`.
        source: as for :func:`review_stream`.
        classifier: as for :func:`~kamcore.review.review`.
        principles: as for :func:`~kamcore.review.review`.
        settings: as for :func:`~kamcore.review.review`.
        default_as_of: the moment of the review when *as_of* is ``None`` and the
            document gives no ``exported_at`` (``kamcore review`` passes now).
        each_review: called for every account, in document order, once it is
            reviewed and before its records go (see :data:`EachReview`): the
            only moment the account's records and its findings are there together.
        staff_known: called once with the staff list the accounts are reviewed
            with, before *each_review* is first called (for a caller that needs
            the staff while it has each account: who signs a notice, say).

    Returns:
        The agenda and the portfolio without the records (see :class:`StreamedReview`).

    Raises:
        PortfolioFormatError: as for :func:`review_stream`.
        ValueError: *as_of* and *default_as_of* are ``None`` and the document has
            no ``exported_at``.
    """
    reviewer: _Reviewer | None = None
    header: StreamHeader | None = None

    def reviewer_at(
        moment: datetime, staff: Sequence[StaffMember], reports: Sequence[Report]
    ) -> _Reviewer:
        if staff_known is not None:
            staff_known(tuple(staff))
        return _Reviewer(
            moment,
            staff=staff,
            report_times=_report_times(reports, moment),
            classifier=classifier,
            principles=principles,
            settings=settings,
        )

    def reviewed(reviewer: _Reviewer, client: ClientFile) -> None:
        reviewer.add(client)
        if each_review is not None:
            found = reviewer.groups.get(client.id)
            each_review(client, () if found is None else tuple(found[0]), reviewer.as_of)

    def each_account(client: ClientFile, read_before: StreamHeader) -> ClientFile:
        nonlocal reviewer, header
        if header is None:
            header = read_before
            # Without as_of and exported_at, the moment is not known yet: the
            # document may give exported_at after its accounts.
            moment = as_of if as_of is not None else header.exported_at
            if header.members >= _HEADER and moment is not None:
                reviewer = reviewer_at(moment, header.staff, header.reports)
        if reviewer is None:
            return client  # held: the review waits for the end of the document
        reviewed(reviewer, client)
        return without_records(client)

    portfolio = decode_portfolio_stream(stream, source=source, each_account=each_account).portfolio
    if reviewer is None:
        moment = as_of if as_of is not None else portfolio.exported_at
        moment = moment if moment is not None else default_as_of
        if moment is None:
            raise ValueError(f"{source}: no as_of given and the document has no exported_at")
        # What review() does, account by account, so that each_review sees each one.
        reviewer = reviewer_at(moment, portfolio.staff, portfolio.reports)
        for client in portfolio:
            reviewed(reviewer, client)
        return StreamedReview(agenda=reviewer.agenda(), portfolio=portfolio)
    assert header is not None  # set with the reviewer
    given_again = [
        name
        for name, before, after in (
            ("staff", header.staff, portfolio.staff),
            ("reports", set(header.reports), set(portfolio.reports)),
            ("exported_at", _stamp(header.exported_at), _stamp(portfolio.exported_at)),
        )
        if name in header.members and before != after
    ]
    if given_again:
        # json.loads keeps the later of two members with one name; the accounts
        # were reviewed with the earlier one.
        raise PortfolioFormatError(
            source, [Problem(name, "given again after the accounts") for name in given_again]
        )
    return StreamedReview(agenda=reviewer.agenda(), portfolio=portfolio)


def _stamp(moment: datetime | None) -> tuple[datetime, timedelta | None] | None:
    # A moment and its offset: the same instant in another offset is written
    # otherwise (an agenda's as_of), so it is not the same exported_at.
    return None if moment is None else (moment, moment.utcoffset())
