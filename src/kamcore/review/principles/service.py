"""Responsiveness, commitment and honesty: the clocks of requests and promises."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Final

from kamcore.review.finding import Finding
from kamcore.review.principle import ReviewContext, SimplePrinciple, deadline

__all__ = ["COMMITMENT", "HONESTY", "RESPONSIVENESS"]

_ACT_WITHIN: Final = timedelta(days=1)


def _responsiveness(context: ReviewContext) -> Iterator[Finding]:
    allowed = context.standard.response_sla
    for state in context.client.timeline.open_requests():
        request = state.request
        if state.answer_by is None:
            clock = deadline(context, start=request.at, allowed=allowed, about=request.id)
            if clock:
                severity, due = clock
                yield context.finding(
                    principle="responsiveness",
                    code="request_unanswered",
                    severity=severity,
                    params={"subject": request.subject, "received": request.at},
                    evidence=(request.id,),
                    values={"sla_hours": context.standard.response_sla_hours},
                    action="give_answer_date",
                    due=due,
                )
            continue
        promised = state.answer_promises[-1]
        window = promised.answer_by - promised.at
        clock = deadline(context, start=promised.at, allowed=window, about=request.id)
        if clock:
            severity, due = clock
            yield context.finding(
                principle="responsiveness",
                code="answer_date_passed" if severity == "violation" else "answer_date_near",
                severity=severity,
                params={"subject": request.subject, "answer_by": promised.answer_by},
                evidence=(request.id, promised.id),
                action="answer_request",
                due=due,
            )


RESPONSIVENESS = SimplePrinciple(
    "responsiveness",
    "Responsiveness",
    {
        "request_unanswered": "a request has neither an answer nor a committed answer date within "
        "the response SLA: answer it, or at once give the client a date for the answer",
        "answer_date_near": "the answer date promised for a request is close: answer in time",
        "answer_date_passed": "the answer date promised for a request has passed with no answer: "
        "answer now, with an apology",
    },
    _responsiveness,
)


def _commitment(context: ReviewContext) -> Iterator[Finding]:
    standard = context.standard
    tolerance = standard.promise_slip_tolerance
    for state in context.client.timeline.promises():
        promise = state.promise
        for renegotiation in state.renegotiations:
            missing = []
            if renegotiation.explanation is None:
                missing.append("explanation")
            if not renegotiation.apology:
                missing.append("apology")
            if renegotiation.new_due is None:
                missing.append("new_date")
            if missing:
                yield context.finding(
                    principle="commitment",
                    code="renegotiated_without_notice_parts",
                    severity="violation",
                    params={"what": promise.what, "missing": tuple(missing)},
                    evidence=(promise.id, renegotiation.id),
                    action="written_notice",
                    due=renegotiation.at + _ACT_WITHIN,
                )
        if len(state.renegotiations) > standard.max_promise_slips:
            yield context.finding(
                principle="commitment",
                code="repeated_slips",
                severity="critical",
                params={"what": promise.what, "slips": len(state.renegotiations)},
                evidence=(promise.id, *[r.id for r in state.renegotiations]),
                values={
                    "slips": len(state.renegotiations),
                    "tolerated": standard.max_promise_slips,
                },
                action="call",
                due=state.renegotiations[-1].at + _ACT_WITHIN,
            )
        if not state.open:
            continue
        start = state.renegotiations[-1].at if state.renegotiations else promise.at
        allowed = state.due - start + tolerance
        clock = deadline(context, start=start, allowed=allowed, about=promise.id)
        if clock:
            severity, due = clock
            code = "promise_overdue" if severity == "violation" else "promise_due_soon"
            yield context.finding(
                principle="commitment",
                code=code,
                severity=severity,
                params={"what": promise.what, "due": state.due},
                evidence=(promise.id, *[r.id for r in state.renegotiations]),
                action="written_notice" if severity == "violation" else "call",
                due=due,
            )


COMMITMENT = SimplePrinciple(
    "commitment",
    "Commitment",
    {
        "promise_due_soon": "a promise is close to its due date: deliver, or tell the client now",
        "promise_overdue": "a promise is past its due date, not kept and not renegotiated: write "
        "to the client with an explanation, an apology and a new date",
        "renegotiated_without_notice_parts": "a promise's date moved without an explanation, an "
        "apology or a new date: send the missing parts in writing",
        "repeated_slips": "a promise slipped more often than the tier tolerates: call the client "
        "and escalate",
    },
    _commitment,
)


def _honesty(context: ReviewContext) -> Iterator[Finding]:
    for state in context.client.timeline.promises():
        for renegotiation in state.renegotiations:
            if not renegotiation.written:
                yield context.finding(
                    principle="honesty",
                    code="date_moved_without_written_notice",
                    severity="violation",
                    params={"what": state.promise.what},
                    evidence=(state.promise.id, renegotiation.id),
                    action="written_notice",
                    due=renegotiation.at + _ACT_WITHIN,
                )
    for change in context.client.timeline.adverse_changes():
        if (
            change.change.change == "delay"
            and change.communications
            and not any(told.written for told in change.communications)
        ):
            yield context.finding(
                principle="honesty",
                code="delay_not_in_writing",
                severity="violation",
                params={"description": change.change.description},
                evidence=(change.change.id, *[told.id for told in change.communications]),
                action="written_notice",
                due=change.communications[0].at + _ACT_WITHIN,
            )


HONESTY = SimplePrinciple(
    "honesty",
    "Honesty",
    {
        "date_moved_without_written_notice": "an agreed date moved and the client was not told in "
        "writing: send a written notice",
        "delay_not_in_writing": "a delay was told to the client, but not in writing: confirm it "
        "in writing",
    },
    _honesty,
)
