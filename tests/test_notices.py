"""Written client notices: a slipped promise or a moved date gets a letter with an
explanation, an apology and the new date, in the contact's language."""

# The expected texts are Cyrillic and Chinese on purpose (RUF001: "confusable" letters).
# ruff: noqa: RUF001

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given

from kamcore.classification import compile_rules, parse_rules
from kamcore.cli import main
from kamcore.i18n import LANGUAGES, builtin_catalogs, merge_catalogs, messages
from kamcore.model import (
    Account,
    AdverseChange,
    ChangeCommunicated,
    ClientFile,
    Contact,
    Portfolio,
    Promise,
    PromiseRenegotiated,
    StaffMember,
    Timeline,
)
from kamcore.notices import (
    NOTICE_KINDS,
    NOTICE_TRIGGERS,
    Notice,
    NoticeDraft,
    draft_account_notices,
    draft_notices,
)
from kamcore.review import Agenda, review
from strategies import STANDARD, fast, moments, portfolios

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
AS_OF = T0 + timedelta(days=10)
CATALOGS = merge_catalogs(builtin_catalogs())  # kamcore's own texts only: no installed plugin


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def portfolio() -> Portfolio:
    served = ClientFile(
        account=Account(
            id="KA-1",
            name="Uralseti",
            owner="anna",
            contacts=(
                Contact(id="c1", name="Tatiana", language="ru-RU", email="t@example.ru"),
                Contact(id="c2", name="赵磊", language="zh"),
            ),
        ),
        timeline=Timeline(
            (
                Promise(id="p-late", at=at(0), what="the pilot plan", due=at(5), contact_id="c2"),
                Promise(id="p-moved", at=at(0), what="licences", due=at(3), contact_id="c1"),
                AdverseChange(
                    id="d-1", at=at(1), change="delay", description="Terminals ship late."
                ),
                PromiseRenegotiated(
                    id="r-1",
                    at=at(2),
                    promise_id="p-moved",
                    new_due=at(20),
                    explanation="The supplier shipped late.",
                    apology=True,
                    written=False,
                ),
                ChangeCommunicated(id="t-1", at=at(2), change_id="d-1", contact_id="c1"),
            )
        ),
    )
    anonymous = ClientFile(
        account=Account(id="KA-2", name="Nobody Ltd", owner="anna"),
        timeline=Timeline((Promise(id="p-2", at=at(0), what="a quote", due=at(4)),)),
    )
    return Portfolio(
        files=(served, anonymous), staff=(StaffMember(id="anna", name="Anna Petrova"),)
    )


@pytest.fixture(scope="module")
def drafts() -> dict[str, NoticeDraft]:
    made = portfolio()
    return {d.about: d for d in draft_notices(review(made, AS_OF), made, catalogs=CATALOGS)}


def test_each_slipped_promise_and_delay_gets_one_notice(drafts: dict[str, NoticeDraft]) -> None:
    kinds = {about: draft.kind for about, draft in drafts.items()}
    assert kinds == {
        "p-late": "promise_overdue",
        "p-moved": "promise_rescheduled",
        "d-1": "delay",
        "p-2": "promise_overdue",
    }


def test_a_notice_is_in_its_contacts_language_and_signed_by_the_owner(
    drafts: dict[str, NoticeDraft],
) -> None:
    late, moved = drafts["p-late"], drafts["p-moved"]
    assert (late.language, late.contact_id, late.recipient) == ("zh", "c2", "赵磊")
    assert (moved.language, moved.address) == ("ru", "t@example.ru")
    assert late.body.startswith("尊敬的赵磊：")
    assert "2025年3月8日" in late.body  # the due date that passed, written the Chinese way
    assert moved.body.endswith("С уважением,\nAnna Petrova")


def test_a_moved_date_carries_the_recorded_explanation_apology_and_new_date(
    drafts: dict[str, NoticeDraft],
) -> None:
    moved = drafts["p-moved"]
    assert "Причина: The supplier shipped late. Приносим свои извинения." in moved.body
    assert "согласованный на 6 марта 2025 г." in moved.body  # the date agreed before the move
    assert "Новый срок — 23 марта 2025 г." in moved.body
    assert moved.new_date == at(20)
    assert moved.to_fill == ()
    assert moved.subject == "«licences»: изменение срока"


def test_what_the_timeline_does_not_know_is_left_as_a_slot_to_fill(
    drafts: dict[str, NoticeDraft],
) -> None:
    late, delay = drafts["p-late"], drafts["d-1"]
    assert late.to_fill == ("explanation", "new_date")
    assert "［延误原因］" in late.body
    assert "［新日期］" in late.body
    assert delay.to_fill == ("explanation", "new_date")
    assert "задержке: Terminals ship late. Причина: [причина задержки]." in delay.body


def test_a_client_file_without_contacts_gets_an_impersonal_english_letter(
    drafts: dict[str, NoticeDraft],
) -> None:
    draft = drafts["p-2"]
    assert (draft.contact_id, draft.recipient, draft.language) == (None, None, "en")
    assert draft.body.startswith("Dear Sir or Madam,\n\n")
    assert draft.as_notice().recipient == "KA-2"


def test_a_language_asked_for_overrides_the_contacts() -> None:
    made = portfolio()
    agenda = review(made, AS_OF)
    for language in LANGUAGES:
        drafts = draft_notices(agenda, made, catalogs=CATALOGS, language=language)
        assert {draft.language for draft in drafts} == {language}
    assert {
        d.language for d in draft_notices(agenda, made, catalogs=CATALOGS, language="bg-BG")
    } == {"bg"}


def test_snoozed_findings_get_no_notice() -> None:
    made = portfolio()
    agenda = review(made, AS_OF)
    quiet = attrs.evolve(agenda, findings=(), snoozed=agenda.findings)
    assert draft_notices(quiet, made, catalogs=CATALOGS) == ()


def test_a_notice_answers_the_findings_that_called_for_it(drafts: dict[str, NoticeDraft]) -> None:
    made = portfolio()
    keys = {f.key: f.message for f in review(made, AS_OF).findings}
    assert [keys[k] for k in drafts["p-moved"].finding_keys] == [
        "honesty.date_moved_without_written_notice"
    ]
    assert [keys[k] for k in drafts["d-1"].finding_keys] == ["honesty.delay_not_in_writing"]


def test_a_draft_becomes_a_notice_for_channel_plugins(drafts: dict[str, NoticeDraft]) -> None:
    notice = drafts["p-moved"].as_notice("example")
    assert notice == Notice(
        recipient="t@example.ru",
        channel="example",
        subject=drafts["p-moved"].subject,
        body=drafts["p-moved"].body,
        language="ru",
        account_id="KA-1",
        finding_key=drafts["p-moved"].finding_keys[0],
    )
    assert json.loads(json.dumps(drafts["p-moved"].as_dict()))["new_date"] == at(20).isoformat()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", NOTICE_KINDS)
def test_every_notice_kind_renders_in_every_language_with_every_slot_filled(
    kind: str, language: str
) -> None:
    texts = messages(language, plugins=None)
    assert f"notice.{kind}.subject" in texts.texts
    assert f"notice.{kind}.body" in texts.texts
    params = {
        "what": "X",
        "due": at(1),
        "description": "Y",
        "explanation": "Z",
        "new_date": at(9),
    }
    for part in ("subject", "body"):
        text = texts.render(f"notice.{kind}.{part}", params, strict=True)
        assert "{" not in text
        assert "[[" not in text


def test_the_sample_portfolio_has_a_notice_of_every_kind() -> None:
    import kamcore

    sample = kamcore.load_portfolio(kamcore.SAMPLE_PORTFOLIO).portfolio
    assert sample.exported_at is not None
    drafts = draft_notices(review(sample, sample.exported_at), sample, catalogs=CATALOGS)
    assert {d.kind for d in drafts} == set(NOTICE_KINDS)
    # Each in its contact's language: the sample has clients in all five.
    assert {d.language for d in drafts} <= set(LANGUAGES)
    assert len({d.language for d in drafts}) > 1


def test_the_notices_command_prints_the_drafts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["notices", "--lang", "uk"]) == 0
    out = capsys.readouterr().out
    assert "Subject: " in out
    assert "З повагою," in out
    assert "[uk]" in out
    assert main(["notices", "--format", "json"]) == 0
    drafts = json.loads(capsys.readouterr().out)
    assert {d["kind"] for d in drafts} == set(NOTICE_KINDS)
    assert all(d["body"] and d["subject"] for d in drafts)


def test_the_notices_command_says_when_none_are_due(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["notices", "--as-of", "2020-01-01"]) == 0
    assert capsys.readouterr().out.strip() == "No written notices are due."


def test_an_agenda_of_another_portfolio_drafts_nothing_for_unknown_accounts() -> None:
    made = portfolio()
    agenda = review(made, AS_OF)
    empty = Portfolio()
    assert draft_notices(agenda, empty, catalogs=CATALOGS) == ()
    assert isinstance(agenda, Agenda)


EVERYONE_KEY = compile_rules(
    parse_rules(
        {
            "name": "every account is key",
            "currency": {"base": "EUR"},
            "tiers": [{"id": "key", "key": True, "standard": STANDARD}],
        }
    )
)
"""Reads no amounts, so generated transactions in any currency classify."""


@fast(60)
@given(made=portfolios(), as_of=moments())
def test_any_portfolio_gets_one_complete_notice_per_slipped_promise_or_delay(
    made: Portfolio, as_of: datetime
) -> None:
    agenda = review(made, as_of, classifier=EVERYONE_KEY)
    drafts = draft_notices(agenda, made, catalogs=CATALOGS)  # renders strictly: no slot unfilled
    assert drafts == draft_notices(agenda, made, catalogs=CATALOGS)
    assert len({(d.account_id, d.about) for d in drafts}) == len(drafts)
    triggers = {f.key: f for f in agenda.findings if f.message in NOTICE_TRIGGERS}
    for draft in drafts:
        assert draft.language in LANGUAGES
        assert "[[" not in draft.subject + draft.body
        assert draft.finding_keys
        assert all(triggers[key].account_id == draft.account_id for key in draft.finding_keys)
        assert all(triggers[key].evidence[0] == draft.about for key in draft.finding_keys)
    answered = {key for draft in drafts for key in draft.finding_keys}
    expected = {
        key
        for key, finding in triggers.items()
        if finding.message != "bad_news_early.bad_news_not_told"
        or finding.params.get("change") == "delay"
    }
    assert answered == expected


@fast(60)
@given(made=portfolios(), as_of=moments())
def test_drafting_account_by_account_gives_the_portfolio_drafts(
    made: Portfolio, as_of: datetime
) -> None:
    agenda = review(made, as_of, classifier=EVERYONE_KEY)
    names = {member.id: member.name for member in made.staff}
    by_account = [
        draft
        for client in sorted(made, key=lambda client: client.id)
        for draft in draft_account_notices(
            client.as_of(as_of),
            agenda.for_account(client.id),
            staff_names=names,
            catalogs=CATALOGS,
        )
    ]
    assert tuple(by_account) == draft_notices(agenda, made, catalogs=CATALOGS)
