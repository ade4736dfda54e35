"""The relationship principles: know the client, care, creativity, don't delay bad news.

Every code gets a timeline that triggers it and a near-identical one that does not.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs
import pytest

from kamcore.model import (
    Account,
    AdverseChange,
    ChangeCommunicated,
    ClientFile,
    Contact,
    Event,
    Interaction,
    PersonalNote,
    Portfolio,
    Request,
    RequestAnswered,
    Situation,
    SituationResponse,
    StaffMember,
    Timeline,
    WaitEnded,
    WaitStarted,
)
from kamcore.review import Finding, ReviewContext, ReviewSettings, SimplePrinciple, review
from kamcore.review.principles.care import CARE
from kamcore.review.principles.creativity import CREATIVITY
from kamcore.review.principles.news import BAD_NEWS_EARLY
from kamcore.review.principles.profile import KNOW_THE_CLIENT, PROFILE_PARTS
from principle_support import KEY_FACTS, KEY_STANDARD, REGULAR_STANDARD, T0, at, review_context, run

PRINCIPLES = (KNOW_THE_CLIENT, CARE, CREATIVITY, BAD_NEWS_EARLY)

STAFF = {
    "mgr": StaffMember(id="mgr", name="Mila Manager"),
    "desk": StaffMember(id="desk", name="Dan Desk", role="support", sees_key_list=False),
    "bill": StaffMember(
        id="bill", name="Bo Billing", role="billing", client_facing=False, sees_key_list=False
    ),
    "drv": StaffMember(id="drv", name="Dora Delivery", role="delivery", sees_key_list=False),
}


def full_account(**changes: Any) -> Account:
    """An account whose client file is complete."""
    fields: dict[str, Any] = {
        "id": "ACME",
        "name": "Acme",
        "owner": "mgr",
        "contacts": (Contact(id="c1", name="Ann Buyer", position="buyer", channel="call"),),
        "needs": ("spare parts",),
        "preferences": ("calls in the morning",),
        "personal_notes": (PersonalNote(text="supports the local football club", topic="sport"),),
    }
    fields.update(changes)
    return Account(**fields)


def context(
    events: Iterable[Event] = (),
    *,
    as_of: datetime,
    key: bool = True,
    account: Account | None = None,
    settings: ReviewSettings | None = None,
) -> ReviewContext:
    """A review context for *account* (a complete one by default) and *events*."""
    client = ClientFile(account=account or full_account(), timeline=Timeline(tuple(events)))
    return review_context(client, as_of=as_of, key=key, staff=STAFF, settings=settings)


def codes(principle: SimplePrinciple, ctx: ReviewContext) -> list[str]:
    return [f.code for f in run(principle, ctx)]


def only(principle: SimplePrinciple, ctx: ReviewContext, code: str) -> Finding:
    found = [f for f in run(principle, ctx) if f.code == code]
    assert len(found) == 1, found
    return found[0]


# Know the client -------------------------------------------------------------------


def test_complete_profile_has_no_findings() -> None:
    ctx = context(as_of=T0, settings=ReviewSettings(completeness=1.0))
    assert run(KNOW_THE_CLIENT, ctx) == []


def test_profile_below_completeness_is_a_violation_for_a_key_account() -> None:
    account = full_account(preferences=(), personal_notes=())
    finding = only(KNOW_THE_CLIENT, context(as_of=T0, account=account), "profile_incomplete")
    assert finding.severity == "violation"
    assert finding.params["missing"] == ("preferences", "personal_notes")
    assert finding.values["completeness"] == pytest.approx(4 / 6)
    assert finding.values["required"] == 0.75
    assert finding.action == "complete_profile"
    assert finding.due == T0 + timedelta(days=7)


@pytest.mark.parametrize("later", [0, 30, 365])
def test_profile_incomplete_is_due_at_the_same_time_at_every_later_review(later: int) -> None:
    account = full_account(preferences=(), personal_notes=(), client_since=date(2024, 6, 3))
    events = [Interaction(id="i1", at=at(-10), channel="call")]
    ctx = context(events, as_of=at(later), account=account)
    finding = only(KNOW_THE_CLIENT, ctx, "profile_incomplete")
    # a week after the relationship started (client_since, from the start of the day)
    assert finding.due == datetime(2024, 6, 10, tzinfo=UTC)
    nobody = attrs.evolve(account, contacts=())
    found = only(KNOW_THE_CLIENT, context(events, as_of=at(later), account=nobody), "no_contacts")
    assert found.due == datetime(2024, 6, 4, tzinfo=UTC)


def test_profile_incomplete_is_due_a_week_after_the_first_record() -> None:
    account = full_account(preferences=(), personal_notes=())
    events = [Interaction(id="i1", at=at(-10), channel="call")]
    for later in (0, 30):
        ctx = context(events, as_of=at(later), account=account)
        assert only(KNOW_THE_CLIENT, ctx, "profile_incomplete").due == at(-3)


def test_profile_missing_one_part_is_above_default_completeness() -> None:
    account = full_account(personal_notes=())
    assert codes(KNOW_THE_CLIENT, context(as_of=T0, account=account)) == []


def test_profile_incomplete_is_a_warning_for_a_non_key_account() -> None:
    account = full_account(preferences=(), personal_notes=())
    finding = only(
        KNOW_THE_CLIENT, context(as_of=T0, account=account, key=False), "profile_incomplete"
    )
    assert finding.severity == "warning"


def test_completeness_exactly_at_the_setting_is_enough() -> None:
    account = full_account(personal_notes=())
    at_threshold = ReviewSettings(completeness=5 / 6)
    above = ReviewSettings(completeness=0.9)
    assert codes(KNOW_THE_CLIENT, context(as_of=T0, account=account, settings=at_threshold)) == []
    assert codes(KNOW_THE_CLIENT, context(as_of=T0, account=account, settings=above)) == [
        "profile_incomplete"
    ]


_WITHOUT = {
    "contact_positions": {
        "contacts": (
            Contact(id="c1", name="Ann Buyer", position="buyer", channel="call"),
            Contact(id="c2", name="Cy Finance", channel="email"),
        )
    },
    "contact_channels": {
        "contacts": (
            Contact(id="c1", name="Ann Buyer", position="buyer", channel="call"),
            Contact(id="c2", name="Cy Finance", position="CFO"),
        )
    },
    "needs": {"needs": ()},
    "preferences": {"preferences": ()},
    "personal_notes": {"personal_notes": ()},
}


@pytest.mark.parametrize("part", sorted(_WITHOUT))
def test_each_part_of_the_profile_counts(part: str) -> None:
    account = full_account(**_WITHOUT[part])
    strict = ReviewSettings(completeness=1.0)
    finding = only(
        KNOW_THE_CLIENT, context(as_of=T0, account=account, settings=strict), "profile_incomplete"
    )
    assert finding.params["missing"] == (part,)
    assert finding.values["completeness"] == pytest.approx(5 / 6)


def test_contacts_lacking_position_or_channel_are_named() -> None:
    account = full_account(
        contacts=(
            Contact(id="c1", name="Ann Buyer", position="buyer"),
            Contact(id="c2", name="Cy Finance", channel="email"),
        ),
        personal_notes=(),
    )
    finding = only(KNOW_THE_CLIENT, context(as_of=T0, account=account), "profile_incomplete")
    assert finding.params["missing"] == ("contact_positions", "contact_channels", "personal_notes")
    assert finding.params["contacts_without_position"] == ("c2",)
    assert finding.params["contacts_without_channel"] == ("c1",)


def test_no_contacts_is_a_violation_and_no_role_is_known() -> None:
    account = full_account(contacts=())
    found = {f.code: f for f in run(KNOW_THE_CLIENT, context(as_of=T0, account=account))}
    assert set(found) == {"no_contacts", "profile_incomplete"}
    assert found["no_contacts"].severity == "violation"
    assert found["no_contacts"].action == "complete_profile"
    assert found["no_contacts"].due == T0 + timedelta(days=1)
    assert found["profile_incomplete"].params["missing"] == (
        "contacts",
        "contact_positions",
        "contact_channels",
    )


def test_one_contact_without_details_is_not_no_contacts() -> None:
    account = full_account(contacts=(Contact(id="c1", name="Ann Buyer"),))
    assert "no_contacts" not in codes(KNOW_THE_CLIENT, context(as_of=T0, account=account))


def test_no_contacts_is_a_violation_for_a_non_key_account_too() -> None:
    account = full_account(contacts=())
    finding = only(KNOW_THE_CLIENT, context(as_of=T0, account=account, key=False), "no_contacts")
    assert finding.severity == "violation"


def test_profile_parts_are_all_listed() -> None:
    assert set(PROFILE_PARTS) == {"contacts", *_WITHOUT}


# Care ------------------------------------------------------------------------------


def request(event_id: str = "R1", when: datetime = T0) -> Request:
    return Request(id=event_id, at=when, subject="20% discount")


def answer(
    event_id: str = "A1",
    when: datetime | None = None,
    *,
    declined: bool = True,
    alternative: str | None = None,
) -> RequestAnswered:
    return RequestAnswered(
        id=event_id,
        at=when or at(1),
        request_id="R1",
        declined=declined,
        alternative=alternative,
    )


def test_no_without_alternative() -> None:
    ctx = context([request(), answer()], as_of=at(2))
    finding = only(CARE, ctx, "no_without_alternative")
    assert finding.severity == "violation"
    assert finding.evidence == ("R1", "A1")
    assert finding.action == "offer_alternative"
    assert finding.due == at(2)
    assert finding.params["subject"] == "20% discount"


@pytest.mark.parametrize(
    "given",
    [answer(alternative="10% with a yearly contract"), answer(declined=False)],
    ids=["no-with-alternative", "yes"],
)
def test_no_with_alternative_or_yes_is_fine(given: RequestAnswered) -> None:
    assert codes(CARE, context([request(), given], as_of=at(2))) == []


def test_later_answer_with_alternative_makes_good_on_a_bare_no() -> None:
    events = [request(), answer(), answer("A2", at(1, 5), alternative="a smaller order")]
    assert codes(CARE, context(events, as_of=at(2))) == []
    # The follow-up only counts once it happened.
    assert codes(CARE, context(events, as_of=at(1, 1))) == ["no_without_alternative"]


def test_earlier_alternative_does_not_excuse_a_later_bare_no() -> None:
    events = [request(), answer(alternative="a smaller order"), answer("A2", at(1, 5))]
    assert [f.evidence for f in run(CARE, context(events, as_of=at(2)))] == [("R1", "A2")]


def test_later_bare_no_does_not_make_good() -> None:
    events = [request(), answer(), answer("A2", at(1, 5))]
    found = run(CARE, context(events, as_of=at(2)))
    assert sorted(f.evidence for f in found) == [("R1", "A1"), ("R1", "A2")]


def templated(
    topics: Sequence[str] = ("order_completed",), *, personal: bool = False
) -> Interaction:
    return Interaction(id="I1", at=T0, channel="email", personal=personal, topics=tuple(topics))


@pytest.mark.parametrize("topic", ["order_completed", "problem", "complaint"])
def test_templated_message_where_personal_due(topic: str) -> None:
    finding = only(
        CARE, context([templated([topic, "update"])], as_of=at(1)), "templated_where_personal_due"
    )
    assert finding.severity == "warning"
    assert finding.evidence == ("I1",)
    assert finding.params["topics"] == (topic,)
    assert finding.action == "send_personal_message"
    assert finding.due == at(1)


def test_personal_message_on_the_same_topic_is_fine() -> None:
    assert codes(CARE, context([templated(personal=True)], as_of=at(1))) == []


def test_templated_message_on_a_routine_topic_is_fine() -> None:
    assert codes(CARE, context([templated(["update", "newsletter"])], as_of=at(1))) == []


def test_personal_follow_up_on_the_matter_clears_the_template() -> None:
    follow_up = Interaction(id="I2", at=at(0, 3), channel="call", topics=("order_completed",))
    assert codes(CARE, context([templated(), follow_up], as_of=at(1))) == []
    other_matter = attrs.evolve(follow_up, topics=("future_plans",))
    assert codes(CARE, context([templated(), other_matter], as_of=at(1))) == [
        "templated_where_personal_due"
    ]


def by(event_id: str, who: str, when: datetime = T0) -> Interaction:
    return Interaction(id=event_id, at=when, by=who, channel="call")


def test_key_list_reach_one_finding_per_person_with_their_events() -> None:
    events = [by("I1", "desk"), by("I2", "mgr", at(1)), by("I3", "desk", at(2))]
    finding = only(CARE, context(events, as_of=at(3)), "key_list_reach")
    assert finding.evidence == ("I1", "I3")
    assert finding.params["staff_id"] == "desk"
    assert finding.values["events"] == 2
    assert finding.action == "share_key_list"
    assert finding.due == at(1)


def test_key_list_reach_names_each_person() -> None:
    events = [by("I1", "desk"), by("I2", "drv", at(1))]
    found = run(CARE, context(events, as_of=at(3)))
    assert sorted(f.params["staff_id"] for f in found) == ["desk", "drv"]
    assert {f.code for f in found} == {"key_list_reach"}


@pytest.mark.parametrize(
    "who",
    ["mgr", "bill", "someone-not-in-staff"],
    ids=["sees-the-list", "not-client-facing", "unknown"],
)
def test_key_list_reach_only_client_facing_people_who_cannot_see_it(who: str) -> None:
    assert codes(CARE, context([by("I1", who)], as_of=at(1))) == []


def test_key_list_reach_only_for_key_accounts() -> None:
    events = [by("I1", "desk")]
    assert codes(CARE, context(events, as_of=at(1), key=True)) == ["key_list_reach"]
    assert codes(CARE, context(events, as_of=at(1), key=False)) == []


def test_key_list_reach_counts_any_event_kind() -> None:
    events = [request(), attrs.evolve(answer(alternative="later"), by="desk")]
    finding = only(CARE, context(events, as_of=at(2)), "key_list_reach")
    assert finding.evidence == ("A1",)


# Creativity ------------------------------------------------------------------------


SITUATION = Situation(id="S1", at=T0, description="the client's warehouse flooded")


def response(reusable: bool = True, when: datetime | None = None) -> SituationResponse:
    return SituationResponse(
        id="SR1",
        at=when or at(1),
        situation_id="S1",
        playbook="ship to a partner site",
        reusable=reusable,
    )


def test_situation_without_playbook_is_quiet_early() -> None:
    assert codes(CREATIVITY, context([SITUATION], as_of=at(2))) == []


@pytest.mark.parametrize(
    ("as_of", "severity"),
    [(at(2.5), "warning"), (at(3), "warning"), (at(3, 1), "violation"), (at(30), "violation")],
)
def test_situation_without_playbook_warns_then_violates(as_of: datetime, severity: str) -> None:
    finding = only(CREATIVITY, context([SITUATION], as_of=as_of), "situation_without_playbook")
    assert finding.severity == severity
    assert finding.due == at(3)
    assert finding.evidence == ("S1",)
    assert finding.action == "record_playbook"


def test_situation_with_reusable_playbook_is_fine() -> None:
    assert codes(CREATIVITY, context([SITUATION, response()], as_of=at(10))) == []


def test_wait_on_the_client_pauses_the_playbook_clock() -> None:
    waits = [
        WaitStarted(id="W1", at=at(0.5), reason="photos of the damage", about="S1"),
        WaitEnded(id="W2", at=at(1.5), wait_id="W1"),
    ]
    finding = only(
        CREATIVITY, context([SITUATION, *waits], as_of=at(3.5)), "situation_without_playbook"
    )
    assert finding.severity == "warning"
    assert finding.due == at(4)
    # The same moment without the wait is past the deadline.
    assert only(
        CREATIVITY, context([SITUATION], as_of=at(3.5)), "situation_without_playbook"
    ).severity == ("violation")


def test_wait_about_another_event_does_not_pause_the_playbook_clock() -> None:
    events = [
        SITUATION,
        request("R1", T0),
        WaitStarted(id="W1", at=at(0.5), reason="specs", about="R1"),
    ]
    finding = only(CREATIVITY, context(events, as_of=at(3.5)), "situation_without_playbook")
    assert finding.severity == "violation"


def test_playbook_not_reusable() -> None:
    finding = only(
        CREATIVITY,
        context([SITUATION, response(reusable=False)], as_of=at(10)),
        "playbook_not_reusable",
    )
    assert finding.severity == "info"
    assert finding.evidence == ("S1", "SR1")
    assert finding.action == "record_playbook"


def test_one_reusable_response_among_several_is_enough() -> None:
    second = attrs.evolve(response(), id="SR2", at=at(2))
    events = [SITUATION, response(reusable=False), second]
    assert codes(CREATIVITY, context(events, as_of=at(10))) == []


# Don't delay bad news --------------------------------------------------------------


CHANGE = AdverseChange(id="X1", at=T0, change="price_change", description="+8% list prices")


def told(
    when: datetime, alternatives: Sequence[str] = ("lock the old price for a year",), **more: Any
) -> ChangeCommunicated:
    return ChangeCommunicated(
        id=more.pop("id", "C1"), at=when, change_id="X1", alternatives=tuple(alternatives), **more
    )


def test_key_standard_allows_three_days_for_bad_news() -> None:
    assert KEY_STANDARD.bad_news_days == 3


def test_bad_news_not_told_is_quiet_early() -> None:
    assert codes(BAD_NEWS_EARLY, context([CHANGE], as_of=at(2))) == []


@pytest.mark.parametrize(
    ("as_of", "severity"),
    [(at(2.5), "warning"), (at(3), "warning"), (at(3, 1), "violation")],
)
def test_bad_news_not_told_warns_then_violates(as_of: datetime, severity: str) -> None:
    finding = only(BAD_NEWS_EARLY, context([CHANGE], as_of=as_of), "bad_news_not_told")
    assert finding.severity == severity
    assert finding.due == at(3)
    assert finding.evidence == ("X1",)
    assert finding.action == "inform_of_change"


def test_bad_news_days_come_from_the_tier() -> None:
    # The regular tier allows 7 days: at 5 days there is nothing yet.
    assert REGULAR_STANDARD.bad_news_days == 7
    assert codes(BAD_NEWS_EARLY, context([CHANGE], as_of=at(5), key=False)) == []
    assert codes(BAD_NEWS_EARLY, context([CHANGE], as_of=at(5), key=True)) == ["bad_news_not_told"]


def test_bad_news_told_in_time_with_alternatives_is_fine() -> None:
    assert codes(BAD_NEWS_EARLY, context([CHANGE, told(at(2))], as_of=at(30))) == []


@pytest.mark.parametrize("about", ["X1", None], ids=["about-the-change", "about-everything"])
def test_wait_pauses_the_bad_news_clock(about: str | None) -> None:
    waits = [
        WaitStarted(id="W1", at=at(0.5), reason="legal review of the wording", about=about),
        WaitEnded(id="W2", at=at(1.5), wait_id="W1"),
    ]
    finding = only(BAD_NEWS_EARLY, context([CHANGE, *waits], as_of=at(3.5)), "bad_news_not_told")
    assert finding.severity == "warning"
    assert finding.due == at(4)


def test_bad_news_told_late() -> None:
    communication = told(at(4, 12))
    finding = only(
        BAD_NEWS_EARLY, context([CHANGE, communication], as_of=at(5)), "bad_news_told_late"
    )
    assert finding.severity == "violation"
    assert finding.evidence == ("X1", "C1")
    assert finding.values["days_late"] == 1.5
    assert finding.due == at(5, 12)


def test_bad_news_told_just_in_time_is_not_late() -> None:
    assert codes(BAD_NEWS_EARLY, context([CHANGE, told(at(3))], as_of=at(5))) == []


def test_wait_before_telling_does_not_count_as_late() -> None:
    waits = [
        WaitStarted(id="W1", at=at(0.5), reason="legal review of the wording", about="X1"),
        WaitEnded(id="W2", at=at(2.5), wait_id="W1"),
    ]
    assert codes(BAD_NEWS_EARLY, context([CHANGE, *waits, told(at(4.5))], as_of=at(5))) == []
    assert codes(BAD_NEWS_EARLY, context([CHANGE, *waits, told(at(5.5))], as_of=at(6))) == [
        "bad_news_told_late"
    ]


def test_only_the_first_telling_counts_for_lateness() -> None:
    events = [CHANGE, told(at(1)), told(at(9), id="C2")]
    assert codes(BAD_NEWS_EARLY, context(events, as_of=at(10))) == []


def test_bad_news_without_alternatives() -> None:
    events = [CHANGE, told(at(1), ()), told(at(2), (), id="C2")]
    finding = only(BAD_NEWS_EARLY, context(events, as_of=at(3)), "bad_news_without_alternatives")
    assert finding.severity == "violation"
    assert finding.evidence == ("X1", "C1", "C2")
    assert finding.action == "offer_alternative"
    assert finding.due == at(2)


def test_alternatives_offered_in_a_later_communication_are_enough() -> None:
    events = [CHANGE, told(at(1), ()), told(at(2), id="C2")]
    assert codes(BAD_NEWS_EARLY, context(events, as_of=at(3))) == []


def test_alternatives_once_are_enough_for_later_communications() -> None:
    events = [CHANGE, told(at(1)), told(at(2), (), id="C2")]
    assert codes(BAD_NEWS_EARLY, context(events, as_of=at(3))) == []


def test_late_and_without_alternatives_are_both_reported() -> None:
    events = [CHANGE, told(at(5), ())]
    assert sorted(codes(BAD_NEWS_EARLY, context(events, as_of=at(6)))) == [
        "bad_news_told_late",
        "bad_news_without_alternatives",
    ]


def test_each_change_has_its_own_clock() -> None:
    second = AdverseChange(id="X2", at=at(2), change="delay", description="delivery slips")
    events = [CHANGE, second, told(at(1))]
    finding = only(BAD_NEWS_EARLY, context(events, as_of=at(4.5)), "bad_news_not_told")
    assert finding.evidence == ("X2",)
    assert finding.severity == "warning"
    assert finding.due == at(5)


# Through review(): classification, and nothing after as_of matters ------------------


def portfolio(events: Iterable[Event], account: Account | None = None) -> Portfolio:
    client = ClientFile(
        account=account or full_account(facts=KEY_FACTS), timeline=Timeline(tuple(events))
    )
    return Portfolio(files=[client], staff=tuple(STAFF.values()))


def reviewed(events: Iterable[Event], as_of: datetime, **kwargs: Any) -> list[str]:
    agenda = review(portfolio(events, kwargs.pop("account", None)), as_of, principles=PRINCIPLES)
    return sorted(f.code for f in agenda.findings)


def test_review_classifies_the_account_as_key() -> None:
    account = full_account(facts=KEY_FACTS, preferences=(), personal_notes=())
    agenda = review(portfolio([], account), T0, principles=[KNOW_THE_CLIENT])
    assert [(f.code, f.severity) for f in agenda.findings] == [("profile_incomplete", "violation")]
    regular = attrs.evolve(account, facts={})
    agenda = review(portfolio([], regular), T0, principles=[KNOW_THE_CLIENT])
    assert [(f.code, f.severity) for f in agenda.findings] == [("profile_incomplete", "warning")]


def test_review_ignores_a_playbook_recorded_after_as_of() -> None:
    events = [SITUATION, response(when=at(5))]
    assert reviewed(events, at(4)) == ["situation_without_playbook"]
    assert reviewed(events, at(6)) == []


def test_review_ignores_news_told_after_as_of() -> None:
    events = [CHANGE, told(at(5), ())]
    assert reviewed(events, at(4)) == ["bad_news_not_told"]
    assert reviewed(events, at(6)) == ["bad_news_told_late", "bad_news_without_alternatives"]


def test_review_ignores_an_alternative_offered_after_as_of() -> None:
    events = [request(), answer(), answer("A2", at(5), alternative="a smaller order")]
    assert reviewed(events, at(4)) == ["no_without_alternative"]
    assert reviewed(events, at(6)) == []


def test_review_ignores_work_done_after_as_of() -> None:
    events = [by("I1", "desk", at(5)), attrs.evolve(templated(), id="I2", at=at(5))]
    assert reviewed(events, at(4)) == []
    assert reviewed(events, at(6)) == ["key_list_reach", "templated_where_personal_due"]


# Every principle --------------------------------------------------------------------


def _every_code_scenarios() -> list[ReviewContext]:
    bare = full_account(contacts=(), preferences=(), personal_notes=())
    return [
        context(as_of=T0, account=bare),
        context([request(), answer(), templated(), by("I9", "desk")], as_of=at(2)),
        context([SITUATION], as_of=at(5)),
        context([SITUATION, response(reusable=False)], as_of=at(5)),
        context([CHANGE], as_of=at(5)),
        context([CHANGE, told(at(5), ())], as_of=at(6)),
    ]


@pytest.mark.parametrize("principle", PRINCIPLES, ids=lambda p: p.id)
def test_every_documented_code_can_be_yielded(principle: SimplePrinciple) -> None:
    yielded = {code for ctx in _every_code_scenarios() for code in codes(principle, ctx)}
    assert yielded == set(principle.codes)


@pytest.mark.parametrize("principle", PRINCIPLES, ids=lambda p: p.id)
def test_codes_are_documented_as_meaning_and_action(principle: SimplePrinciple) -> None:
    assert principle.codes
    for code, meaning in principle.codes.items():
        assert code.isidentifier()
        assert ": " in meaning, code


def test_principle_ids_are_distinct_and_as_documented() -> None:
    assert [p.id for p in PRINCIPLES] == ["know_the_client", "care", "creativity", "bad_news_early"]
