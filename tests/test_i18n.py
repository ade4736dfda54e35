"""Localization: complete catalogs in five languages, plugin catalogs, negotiation.

The first tests are the guard the docs promise: a key missing in any language, or
a text whose placeholders differ from English, fails the suite; so does a finding
code, action, severity or coded value with no text.
"""

# The expected texts are Cyrillic and Chinese on purpose (RUF001: "confusable" letters).
# ruff: noqa: RUF001

from __future__ import annotations

import doctest
import importlib
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import kamcore
from kamcore.cli import main
from kamcore.hookspecs import hookimpl
from kamcore.i18n import (
    LANGUAGES,
    TERM_PARAMS,
    CatalogError,
    Messages,
    MissingParameterError,
    action_text,
    builtin_catalogs,
    catalogs,
    describe,
    merge_catalogs,
    messages,
    missing_marker,
    negotiate,
    placeholders,
    principle_name,
    severity_text,
)
from kamcore.model import ADVERSE_CHANGES, CHANNELS, COMPLAINT_STEPS
from kamcore.model.portfolio import ROLES
from kamcore.plugins import get_plugin_manager
from kamcore.report import DepartmentHeadReport, department_head_report
from kamcore.review import ACTIONS, SEVERITIES, installed_principles, review
from kamcore.review.principles.care import PERSONAL_TOPICS
from kamcore.review.principles.churn import CHURN_SIGNALS
from kamcore.review.principles.contact import FUTURE_TOPICS
from kamcore.review.principles.profile import PROFILE_PARTS

BUILTIN = builtin_catalogs()
ENGLISH = BUILTIN["en"]
OTHERS = [language for language in LANGUAGES if language != "en"]
PRINCIPLES = installed_principles()
SAMPLE = kamcore.load_portfolio(kamcore.SAMPLE_PORTFOLIO).portfolio


# Completeness ------------------------------------------------------------------------------------


def test_kamcore_ships_a_catalog_for_each_of_its_languages() -> None:
    assert tuple(BUILTIN) == LANGUAGES == ("en", "zh", "ru", "uk", "bg")


@pytest.mark.parametrize("language", OTHERS)
def test_every_key_is_translated_into_every_language(language: str) -> None:
    texts = BUILTIN[language]
    assert sorted(set(ENGLISH) - set(texts)) == [], f"missing in {language}"
    assert sorted(set(texts) - set(ENGLISH)) == [], f"only in {language}, not in English"
    assert all(text.strip() for text in texts.values())


@pytest.mark.parametrize("language", OTHERS)
def test_placeholders_are_the_same_in_every_language(language: str) -> None:
    differing = {
        key: (sorted(placeholders(text)), sorted(placeholders(BUILTIN[language][key])))
        for key, text in ENGLISH.items()
        if placeholders(text) != placeholders(BUILTIN[language][key])
    }
    assert differing == {}


def _required_keys() -> set[str]:
    keys = {f"{p.id}.{code}" for p in PRINCIPLES for code in p.codes}
    keys |= {f"principle.{p.id}" for p in PRINCIPLES}
    keys |= {f"action.{action}" for action in ACTIONS}
    keys |= {f"severity.{severity}" for severity in SEVERITIES}
    coded_values = {
        *ADVERSE_CHANGES,
        *CHANNELS,
        *COMPLAINT_STEPS,
        *ROLES - {"other"},
        *PROFILE_PARTS,
        *PERSONAL_TOPICS,
        *FUTURE_TOPICS,
        *CHURN_SIGNALS,
        *("explanation", "apology", "new_date"),  # the parts of a renegotiation notice
        *("product_quality", "service_attitude", "resolution_efficiency"),  # survey scores
        *("promise", "adverse_change"),  # the problems of problem_without_call
    }
    keys |= {f"term.{value}" for value in coded_values}
    return keys


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_code_action_severity_and_principle_has_a_text(language: str) -> None:
    # Installed plugins' principles too: their catalogs come through the hook.
    texts = catalogs(get_plugin_manager()).texts[language]
    assert sorted(_required_keys() - set(texts)) == []


def test_the_documented_finding_codes_all_have_texts() -> None:
    assert {f"{p.id}.{code}" for p in PRINCIPLES for code in p.codes} <= set(ENGLISH)
    assert len([p for p in PRINCIPLES if p.codes]) >= 14


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_finding_of_the_sample_reads_completely(language: str) -> None:
    assert SAMPLE.exported_at is not None
    agenda = review(SAMPLE, SAMPLE.exported_at)
    texts = messages(language, plugins=None)
    assert len({f.message for f in agenda.findings}) >= 20
    for finding in (*agenda.findings, *agenda.snoozed, *agenda.acknowledged):
        text = describe(finding, texts)
        assert "{" not in text, (finding.message, text)
        assert "[[" not in text, (finding.message, text)
        assert ".." not in text
        texts.render(finding.message, {**finding.values, **finding.params}, strict=True)
        assert action_text(finding.action, texts) != missing_marker(f"action.{finding.action}")


# Messages ----------------------------------------------------------------------------------------


def test_a_text_in_each_language() -> None:
    due = datetime(2026, 12, 7, 18, tzinfo=UTC)
    rendered = {
        lang: messages(lang, plugins=None).text("commitment.promise_due_soon", what="X", due=due)
        for lang in LANGUAGES
    }
    assert rendered == {
        "en": 'The promise "X" is due on 7 December 2026.',
        "zh": "承诺“X”的到期日为2026年12月7日。",
        "ru": "Срок выполнения обещания «X» — 7 декабря 2026 г.",
        "uk": "Строк виконання обіцянки «X» — 7 грудня 2026 р.",
        "bg": "Срокът на обещанието „X“ е 7 декември 2026 г.",
    }


def test_values_are_written_the_languages_way() -> None:
    ru, zh, en = (messages(lang, plugins=None) for lang in ("ru", "zh", "en"))
    assert ru.value(0.5) == "0,5"
    assert en.value(0.5) == "0.5"
    assert ru.value(Decimal("12.30")) == "12,30"
    assert ru.value(None) == "неизвестно"
    assert en.value(True) == "yes"
    assert zh.value(("a", "b")) == "a、b"
    assert en.value(("a", "b")) == "a, b"
    assert ru.value(("price_change", "delay"), name="change") == "изменение цены, задержка"
    # Codes are translated only in coded parameters: free text stays as written.
    assert ru.value("delay", name="subject") == "delay"
    assert zh.date(date(2027, 1, 2)) == "2027年1月2日"
    assert messages("uk", plugins=None).date(date(2027, 2, 1)) == "1 лютого 2027 р."
    assert messages("bg", plugins=None).date(date(2027, 5, 9)) == "9 май 2027 г."


def test_a_date_ending_a_sentence_ends_it_with_one_full_stop() -> None:
    ru = messages("ru", plugins=None)
    text = ru.text("commitment.promise_due_soon", what="X", due=date(2026, 1, 5))
    assert text.endswith("5 января 2026 г.")
    assert not text.endswith("..")


def test_a_missing_key_falls_back_to_english_then_to_a_marker() -> None:
    partial = Messages("ru", {"action.call": "Позвонить"}, ENGLISH)
    assert partial.text("action.call") == "Позвонить"
    assert partial.text("action.meet") == "Meet the client"
    assert partial.text("no.such.key") == "[[no.such.key]]"
    assert "no.such.key" not in partial
    assert "action.meet" in partial


def test_a_missing_parameter_never_crashes_unless_asked_to() -> None:
    ru = messages("ru", plugins=None)
    assert ru.text("commitment.promise_due_soon", what="X") == (
        "Срок выполнения обещания «X» — {due}."
    )
    with pytest.raises(MissingParameterError) as raised:
        ru.render("commitment.promise_due_soon", {"what": "X"}, strict=True)
    assert (raised.value.key, raised.value.parameter) == ("commitment.promise_due_soon", "due")
    assert "commitment.promise_due_soon" in str(raised.value)
    assert "'due'" in str(raised.value)


def test_a_parameter_named_key_is_an_ordinary_parameter() -> None:
    texts = Messages("en", {"x": "{key}!"}, {})
    assert texts.text("x", key="k") == "k!"


@pytest.mark.parametrize("bad", ["{", "}", "a {b.c}", "{0}", "{x[1]}", "x }"])
def test_a_malformed_template_is_a_catalog_error(bad: str) -> None:
    with pytest.raises(CatalogError):
        merge_catalogs(BUILTIN, {"en": {"custom.key": bad}})


def test_braces_can_be_written_literally() -> None:
    texts = merge_catalogs(BUILTIN, {"en": {"custom.key": "{{literal}} {name}"}}).messages("en")
    assert texts.text("custom.key", name="n") == "{literal} n"
    assert placeholders("{{literal}} {name}") == {"name"}


def test_helpers_render_actions_severities_and_principles() -> None:
    zh = messages("zh", plugins=None)
    assert action_text("call", zh) == "致电客户"
    assert severity_text("critical", zh) == "严重"
    assert principle_name("bad_news_early", zh) == "坏消息不拖延"


# Negotiation -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "language"),
    [
        ("zh-CN", "zh"),
        ("zh_Hans_CN", "zh"),
        ("zh-TW", "zh"),
        ("ru-RU", "ru"),
        ("RU", "ru"),
        ("uk-UA", "uk"),
        ("ua", "uk"),
        ("bg-BG", "bg"),
        ("en-GB", "en"),
        ("de-DE", "en"),
        ("", "en"),
        (None, "en"),
        ("fr-FR, ru;q=0.8, en;q=0.5", "ru"),
        ("en;q=0.2, uk;q=0.9", "uk"),
        ("???", "en"),
    ],
)
def test_language_negotiation(requested: str | None, language: str) -> None:
    assert negotiate(requested) == language
    assert messages(requested, plugins=None).language == language


@given(st.text(max_size=40))
def test_any_tag_negotiates_to_a_known_language(requested: str) -> None:
    assert negotiate(requested) in LANGUAGES


_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.datetimes(timezones=st.just(UTC)),
    st.dates(),
    st.lists(st.text(max_size=10), max_size=3).map(tuple),
    st.frozensets(st.sampled_from(sorted(PROFILE_PARTS)), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


@given(
    language=st.sampled_from(LANGUAGES),
    key=st.sampled_from(sorted(ENGLISH)),
    params=st.dictionaries(
        st.sampled_from(sorted({*TERM_PARAMS, "what", "due", "subject", "key", "x"})),
        _VALUES,
        max_size=6,
    ),
)
def test_any_parameters_render_without_crashing(
    language: str, key: str, params: Mapping[str, Any]
) -> None:
    text = messages(language, plugins=None).text(key, **params)
    assert isinstance(text, str)
    assert text


# Plugin catalogs ---------------------------------------------------------------------------------


class _Catalog:
    def __init__(self, texts: Mapping[str, Mapping[str, str]]) -> None:
        self.texts = texts

    @hookimpl
    def kamcore_message_catalogs(self) -> Mapping[str, Mapping[str, str]]:
        return self.texts


def test_a_plugin_catalog_adds_and_overrides_texts() -> None:
    plugin = _Catalog(
        {
            "ru": {"action.call": "Набрать клиента", "mycrm.synced": "Синхронизировано: {count}"},
            "de": {"action.call": "Den Kunden anrufen"},
        }
    )
    manager = get_plugin_manager(entry_points=False, plugins=[plugin])
    assert messages("ru", manager).text("action.call") == "Набрать клиента"
    assert messages("ru", manager).text("mycrm.synced", count=3) == "Синхронизировано: 3"
    assert messages("uk", manager).text("mycrm.synced", count=3) == "[[mycrm.synced]]"
    assert messages("ru", manager).text("action.meet") == "Встретиться с клиентом"
    # A plugin can bring a language: German texts where given, English elsewhere.
    german = messages("de-AT", manager)
    assert german.language == "de"
    assert german.text("action.call") == "Den Kunden anrufen"
    assert german.text("action.meet") == "Meet the client"
    assert catalogs(manager).languages == (*LANGUAGES, "de")


def test_the_plugin_registered_later_wins() -> None:
    first = _Catalog({"en": {"action.call": "first"}})
    second = _Catalog({"en": {"action.call": "second"}})
    manager = get_plugin_manager(entry_points=False, plugins=[first, second])
    assert messages("en", manager).text("action.call") == "second"


def test_catalogs_are_read_once_per_plugin_manager() -> None:
    manager = get_plugin_manager(entry_points=False)
    assert catalogs(manager) is catalogs(manager)
    assert catalogs(manager).texts == merge_catalogs(BUILTIN).texts


@pytest.mark.parametrize(
    "texts",
    [
        {"en": "not a table"},
        {"en": {"action.call": 3}},
        {"en": {"action.call": "{unclosed"}},
        ["en"],
    ],
)
def test_a_malformed_plugin_catalog_is_refused(texts: Any) -> None:
    manager = get_plugin_manager(entry_points=False, plugins=[_Catalog(texts)])
    with pytest.raises(CatalogError):
        catalogs(manager)


def test_the_example_sinks_catalog_is_merged() -> None:
    sink = pytest.importorskip("kamcore_example_sink")
    manager = get_plugin_manager(entry_points=False, plugins=[sink])
    en = messages("en", manager)
    assert en.text("example.record_created", record_id=7, sink="x") == "Created as record 7 in x."
    # English only: the other languages fall back to it.
    assert messages("zh", manager).text("example.record_created", record_id=7, sink="x") == (
        "Created as record 7 in x."
    )


# The command line --------------------------------------------------------------------------------


def test_review_with_lang_writes_findings_and_actions_in_that_language(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["review", "--lang", "ru"]) == 0
    localized = capsys.readouterr().out
    assert "Позвонить клиенту" in localized
    assert "нарушение" in localized
    assert localized.startswith("Повестка на ")
    assert "ЗАМЕЧАНИЕ" in localized  # the table's headers too
    assert "Здоровье (0–100" in localized
    assert "FINDING" not in localized
    assert main(["review", "--lang", "zh-CN", "--format", "markdown"]) == 0
    assert "致电客户" in capsys.readouterr().out
    assert main(["review"]) == 0
    plain = capsys.readouterr().out
    assert "Позвонить клиенту" not in plain
    assert "promise_overdue" in plain


@pytest.fixture(scope="module")
def sample_report() -> DepartmentHeadReport:
    assert SAMPLE.exported_at is not None
    return department_head_report(SAMPLE, SAMPLE.exported_at)


REPORT_TITLES = {
    "en": "# Key-account report as of ",
    "zh": "# 重点客户报告（截至",
    "ru": "# Отчёт по ключевым клиентам на ",
    "uk": "# Звіт щодо ключових клієнтів на ",
    "bg": "# Отчет за ключовите клиенти към ",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_report_reads_in_every_language(
    sample_report: DepartmentHeadReport, language: str
) -> None:
    texts = messages(language, plugins=None)
    markdown = sample_report.as_markdown(texts)
    assert markdown.startswith(REPORT_TITLES[language])
    assert "[[" not in markdown
    assert "{" not in markdown
    for heading in ("key_accounts", "escalations", "health_by_owner", "findings_by_principle"):
        assert f"## {texts.text(f'report.{heading}')}" in markdown
    # Still every key account, with its state in the language ("no issues" too).
    for entry in sample_report.accounts:
        assert f"| {entry.account_id} |" in markdown
    assert f"| {texts.text('report.no_issues')} |" in markdown
    page = sample_report.as_html(texts)
    assert f'<html lang="{language}">' in page
    assert "[[" not in page
    assert principle_name("commitment", texts) in page  # the chart's labels are names


def test_without_a_language_the_report_keeps_its_english_wording(
    sample_report: DepartmentHeadReport,
) -> None:
    plain = sample_report.as_markdown()
    assert "| no issues |" in plain
    assert "Every key client, reported every week;" in plain
    assert sample_report.as_html().count('<html lang="en">') == 1


def test_report_command_with_lang(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--lang", "uk-UA"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(REPORT_TITLES["uk"])
    assert "проблем немає" in out
    assert main(["report", "--lang", "bg", "--format", "html"]) == 0
    assert '<html lang="bg">' in capsys.readouterr().out


# Doctests ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "module",
    [
        "kamcore.i18n",
        "kamcore.i18n._catalog",
        "kamcore.i18n._describe",
        "kamcore.i18n._templates",
        "kamcore.notices",
    ],
)
def test_the_examples_in_the_docstrings_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_default_ladder_s_levels_have_words_in_every_language(language: str) -> None:
    from kamcore.escalation import load_policy
    from kamcore.i18n import level_text

    texts = messages(language)
    for level in load_policy().levels:
        assert f"term.{level.name}" in texts  # not the raw name with spaces
        assert "_" not in level_text(level.name, texts)
