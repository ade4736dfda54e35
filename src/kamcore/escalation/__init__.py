"""Escalation: the ladder an open finding climbs, on the company's business calendar.

DOMAIN §5: account manager → department head → executive sponsor (names and
levels configurable); each finding type climbs after configured delays, in
business days or hours of the company's calendar and time zone, until it is
resolved.
"""

from __future__ import annotations

from kamcore.escalation.calendar import (
    MONDAY_TO_FRIDAY,
    BusinessCalendar,
    CalendarError,
    MissingExtraError,
    holidays_for,
)
from kamcore.escalation.history import EscalationHistory, Step, escalation_history
from kamcore.escalation.policy import (
    DEFAULT_POLICY,
    Delay,
    EscalationPolicy,
    Holder,
    Level,
    load_policy,
    parse_policy,
    read_policy,
)

__all__ = [
    "DEFAULT_POLICY",
    "MONDAY_TO_FRIDAY",
    "BusinessCalendar",
    "CalendarError",
    "Delay",
    "EscalationHistory",
    "EscalationPolicy",
    "Holder",
    "Level",
    "MissingExtraError",
    "Step",
    "escalation_history",
    "holidays_for",
    "load_policy",
    "parse_policy",
    "read_policy",
]
