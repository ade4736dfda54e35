"""The client-file model: accounts, transactions, timeline events and portfolios.

Every class is a frozen attrs class validated on construction; a bad value
raises :class:`~kamcore.errors.InvalidValueError` naming the field.
"""

from __future__ import annotations

from kamcore.model import _pickling  # noqa: F401  (registers the pickle reducer)
from kamcore.model.account import CHANNELS, Account, Contact, FactValue, PersonalNote
from kamcore.model.events import (
    ADVERSE_CHANGES,
    COMPLAINT_STEPS,
    DECISIONS,
    EVENT_TYPES,
    INITIATORS,
    AdverseChange,
    AnswerPromised,
    ChangeCommunicated,
    Complaint,
    ComplaintStep,
    Decision,
    Document,
    Event,
    Goal,
    GoalProgress,
    Interaction,
    Promise,
    PromiseKept,
    PromiseRenegotiated,
    Request,
    RequestAnswered,
    Situation,
    SituationResponse,
    SurveyResponse,
    WaitEnded,
    WaitStarted,
)
from kamcore.model.portfolio import ROLES, ClientFile, Portfolio, Report, StaffMember
from kamcore.model.timeline import (
    ChangeState,
    ComplaintState,
    GoalState,
    PromiseState,
    RequestState,
    SituationState,
    Timeline,
    WaitState,
)
from kamcore.model.transaction import Transaction

__all__ = [
    "ADVERSE_CHANGES",
    "CHANNELS",
    "COMPLAINT_STEPS",
    "DECISIONS",
    "EVENT_TYPES",
    "INITIATORS",
    "ROLES",
    "Account",
    "AdverseChange",
    "AnswerPromised",
    "ChangeCommunicated",
    "ChangeState",
    "ClientFile",
    "Complaint",
    "ComplaintState",
    "ComplaintStep",
    "Contact",
    "Decision",
    "Document",
    "Event",
    "FactValue",
    "Goal",
    "GoalProgress",
    "GoalState",
    "Interaction",
    "PersonalNote",
    "Portfolio",
    "Promise",
    "PromiseKept",
    "PromiseRenegotiated",
    "PromiseState",
    "Report",
    "Request",
    "RequestAnswered",
    "RequestState",
    "Situation",
    "SituationResponse",
    "SituationState",
    "StaffMember",
    "SurveyResponse",
    "Timeline",
    "Transaction",
    "WaitEnded",
    "WaitStarted",
    "WaitState",
]
