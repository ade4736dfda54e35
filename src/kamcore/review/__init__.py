"""Service-principle checks over client files, gathered into an agenda.

``review(portfolio, as_of)`` checks every account against every installed
principle (the built-in ones and those of plugins) and returns an
:class:`Agenda`: findings with evidence, a recommended action and a due time,
grouped by owner, and each account's health. ``review_stream(stream, …)``
gives the same agenda for a portfolio file, reviewing each account as it is
read so that the whole portfolio is never in memory.
"""

from __future__ import annotations

from kamcore.review.agenda import (
    AGENDA_VERSION,
    Agenda,
    DuplicatePrincipleError,
    installed_principles,
    review,
)
from kamcore.review.finding import ACTIONS, SEVERITIES, Finding, severity_rank
from kamcore.review.health import SIGNAL_WEIGHTS, Health, account_health
from kamcore.review.principle import (
    Principle,
    ReviewContext,
    ReviewSettings,
    SimplePrinciple,
    deadline,
)
from kamcore.review.stream import (
    EachReview,
    StreamedReview,
    review_portfolio_stream,
    review_stream,
)

__all__ = [
    "ACTIONS",
    "AGENDA_VERSION",
    "SEVERITIES",
    "SIGNAL_WEIGHTS",
    "Agenda",
    "DuplicatePrincipleError",
    "EachReview",
    "Finding",
    "Health",
    "Principle",
    "ReviewContext",
    "ReviewSettings",
    "SimplePrinciple",
    "StreamedReview",
    "account_health",
    "deadline",
    "installed_principles",
    "review",
    "review_portfolio_stream",
    "review_stream",
    "severity_rank",
]
