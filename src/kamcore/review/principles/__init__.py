"""The built-in principles, registered as an ordinary plugin (entry point ``principles``).

Every row of the service-principle table of the domain brief is one principle
here; each lives in a module named after what it checks.
"""

from __future__ import annotations

from kamcore.hookspecs import hookimpl
from kamcore.review.principle import Principle
from kamcore.review.principles.care import CARE
from kamcore.review.principles.churn import CHURN_WARNING
from kamcore.review.principles.complaints import COMPLAINTS
from kamcore.review.principles.contact import COMMUNICATE_FUTURE, PROACTIVE_CONTACT
from kamcore.review.principles.creativity import CREATIVITY
from kamcore.review.principles.goals import JOINT_GOALS
from kamcore.review.principles.news import BAD_NEWS_EARLY
from kamcore.review.principles.profile import KNOW_THE_CLIENT
from kamcore.review.principles.reporting import REPORTING
from kamcore.review.principles.satisfaction import SATISFACTION
from kamcore.review.principles.service import COMMITMENT, HONESTY, RESPONSIVENESS

__all__ = ["BUILTIN_PRINCIPLES", "kamcore_principles"]

BUILTIN_PRINCIPLES: tuple[Principle, ...] = (
    KNOW_THE_CLIENT,
    CARE,
    RESPONSIVENESS,
    COMMITMENT,
    CREATIVITY,
    BAD_NEWS_EARLY,
    PROACTIVE_CONTACT,
    COMMUNICATE_FUTURE,
    JOINT_GOALS,
    HONESTY,
    SATISFACTION,
    COMPLAINTS,
    CHURN_WARNING,
    REPORTING,
)
"""Every built-in principle."""


@hookimpl
def kamcore_principles() -> tuple[Principle, ...]:
    """The built-in principles; see :func:`kamcore.hookspecs.kamcore_principles`."""
    return BUILTIN_PRINCIPLES
