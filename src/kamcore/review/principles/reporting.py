"""Regular reporting (002, escalation policy): the department head hears about every
key client at least once per reporting interval."""

from __future__ import annotations

from collections.abc import Iterator

from kamcore.review.finding import Finding
from kamcore.review.principle import ReviewContext, SimplePrinciple, deadline
from kamcore.review.principles._known import known_since

__all__ = ["REPORTING"]


def _reporting(context: ReviewContext) -> Iterator[Finding]:
    if not context.key:
        return
    sent = [at for at in context.report_times if at <= context.as_of]
    evidence: tuple[str, ...] = ()
    if sent:
        start = max(sent)
    else:
        # Never reported: the clock runs from when the account became known.
        known = known_since(context.client, context.as_of)
        if known is None:
            return
        start, evidence = known
    interval = context.standard.report_interval_days
    clock = deadline(context, start=start, allowed=context.standard.report_interval, about=None)
    if clock:
        severity, due = clock
        yield context.finding(
            principle="reporting",
            code="not_reported",
            severity=severity,
            params={"last_report": max(sent) if sent else None},
            evidence=evidence,
            values={
                "days_since": round((context.as_of - start).total_seconds() / 86400, 1),
                "interval_days": interval,
            },
            action="report_to_department_head",
            due=due,
        )


REPORTING = SimplePrinciple(
    "reporting",
    "Regular reporting",
    {
        "not_reported": "a key account has not been covered by a report to the department head "
        "for longer than the reporting interval (or it is close): include it in the next report "
        "on the state and problems of key clients",
    },
    _reporting,
)
