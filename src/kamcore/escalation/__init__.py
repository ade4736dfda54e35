"""Escalation: the ladder an open finding climbs, on the company's business calendar.

DOMAIN §5: account manager → department head → executive sponsor (names and
levels configurable); each finding type climbs after configured delays, in
business days or hours of the company's calendar and time zone, until it is
resolved. :func:`escalate` says where every open finding of an agenda stands, and
:func:`escalation_notices` writes the notices the people it climbed to are owed.
"""

from __future__ import annotations

from kamcore.escalation.calendar import (
    MONDAY_TO_FRIDAY,
    BusinessCalendar,
    CalendarError,
    CalendarSettings,
    MissingExtraError,
    holidays_for,
)
from kamcore.escalation.history import EscalationHistory, Step, escalation_history
from kamcore.escalation.ladder import (
    Escalation,
    Escalator,
    NextEscalation,
    Stay,
    escalate,
    escalator,
    opened_at,
)
from kamcore.escalation.notices import (
    DEFAULT_CHANNEL,
    EscalationNotice,
    each_escalation_notice,
    escalation_notices,
    notice_key,
)
from kamcore.escalation.policy import (
    DEFAULT_POLICY,
    WEEKDAY_NAMES,
    Delay,
    EscalationPolicy,
    Holder,
    Level,
    ReportingLines,
    load_policy,
    parse_policy,
    read_policy,
)

__all__ = [
    "DEFAULT_CHANNEL",
    "DEFAULT_POLICY",
    "MONDAY_TO_FRIDAY",
    "WEEKDAY_NAMES",
    "BusinessCalendar",
    "CalendarError",
    "CalendarSettings",
    "Delay",
    "Escalation",
    "EscalationHistory",
    "EscalationNotice",
    "EscalationPolicy",
    "Escalator",
    "Holder",
    "Level",
    "MissingExtraError",
    "NextEscalation",
    "ReportingLines",
    "Stay",
    "Step",
    "each_escalation_notice",
    "escalate",
    "escalation_history",
    "escalation_notices",
    "escalator",
    "holidays_for",
    "load_policy",
    "notice_key",
    "opened_at",
    "parse_policy",
    "read_policy",
]
