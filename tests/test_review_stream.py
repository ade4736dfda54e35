"""review_stream gives the agenda of a load and a review, whatever order the members come in;
merged agendas build their ordered findings when first read; findings share empty mappings."""

from __future__ import annotations

import io
import json
import pickle
from datetime import timedelta
from typing import Any

import attrs
import pytest

from kamcore import SAMPLE_PORTFOLIO
from kamcore.errors import PortfolioFormatError
from kamcore.fileformat import decode_portfolio_stream, dumps_portfolio
from kamcore.review import Agenda, Finding, review, review_stream
from kamcore.review.shard import merge_agendas
from kamcore.synthetic import SyntheticSpec, write_synthetic_portfolio


def _document() -> dict[str, Any]:
    with open(SAMPLE_PORTFOLIO, encoding="utf-8-sig") as stream:
        document: dict[str, Any] = json.load(stream)
    return document


def _text(document: dict[str, Any], order: list[str]) -> str:
    return json.dumps({key: document[key] for key in order}, ensure_ascii=False)


def _loaded_review(text: str, as_of: Any = None) -> Agenda:
    portfolio = decode_portfolio_stream(io.StringIO(text), source="t").portfolio
    moment = as_of if as_of is not None else portfolio.exported_at
    return review(portfolio, moment)


def test_kamcore_writers_put_the_accounts_last() -> None:
    assert list(_document())[-1] == "accounts"
    stream = io.StringIO()
    write_synthetic_portfolio(SyntheticSpec(accounts=3, events_per_account=4, seed=1), stream)
    assert list(json.loads(stream.getvalue()))[-1] == "accounts"
    portfolio = decode_portfolio_stream(io.StringIO(stream.getvalue()), source="t").portfolio
    assert list(json.loads(dumps_portfolio(portfolio)))[-1] == "accounts"


ORDERS = [
    ["format", "version", "exported_at", "staff", "reports", "accounts"],  # one pass
    ["accounts", "format", "version", "exported_at", "staff", "reports"],  # held
    ["format", "staff", "accounts", "reports", "version", "exported_at"],  # held
    ["exported_at", "reports", "staff", "accounts", "format", "version"],  # one pass
]


@pytest.mark.parametrize("order", ORDERS, ids=["-".join(o[:3]) for o in ORDERS])
def test_the_agenda_is_the_one_of_a_load_and_a_review_in_any_member_order(
    order: list[str],
) -> None:
    text = _text(_document(), order)
    expected = _loaded_review(text)
    agenda = review_stream(io.StringIO(text), source="t")
    assert agenda == expected
    assert list(agenda.health) == list(expected.health)


def test_an_earlier_moment_gives_the_agenda_of_a_review_at_that_moment() -> None:
    text = _text(_document(), ORDERS[0])
    earlier = _loaded_review(text).as_of - timedelta(days=30)
    assert review_stream(io.StringIO(text), earlier, source="t") == _loaded_review(text, earlier)


def test_a_given_moment_needs_no_exported_at_before_the_accounts() -> None:
    document = _document()
    text = _text(document, ["staff", "reports", "accounts", "format", "version"])
    as_of = _loaded_review(_text(document, list(document))).as_of
    assert review_stream(io.StringIO(text), as_of, source="t") == _loaded_review(text, as_of)
    with pytest.raises(ValueError, match="no exported_at"):
        review_stream(io.StringIO(text), source="t")


def test_an_invalid_record_refuses_the_document_as_a_strict_load_does() -> None:
    document = _document()
    document["accounts"][3]["events"][0]["kind"] = "nonsense"
    text = _text(document, ["format", "version", "exported_at", "staff", "reports", "accounts"])
    with pytest.raises(PortfolioFormatError) as loaded:
        decode_portfolio_stream(io.StringIO(text), source="t")
    with pytest.raises(PortfolioFormatError) as streamed:
        review_stream(io.StringIO(text), source="t")
    assert streamed.value.problems == loaded.value.problems


def test_a_header_member_given_again_after_the_accounts_is_refused() -> None:
    document = _document()
    text = _text(document, ["format", "version", "exported_at", "staff", "reports", "accounts"])
    text = text[:-1] + ', "reports": []}'
    with pytest.raises(PortfolioFormatError, match="reports: given again after the accounts"):
        review_stream(io.StringIO(text), source="t")


def _sample_agenda() -> Agenda:
    with open(SAMPLE_PORTFOLIO, encoding="utf-8-sig") as stream:
        return review_stream(stream, source=SAMPLE_PORTFOLIO)


def test_a_merged_agenda_reads_pickles_and_evolves_as_one_made_whole() -> None:
    agenda = _sample_agenda()
    accounts = [account for account in agenda.health if agenda.for_account(account)][:5]
    # Replacing accounts by themselves must give the same agenda, read or unread.
    once = agenda.replace_accounts(agenda, accounts[:2])
    twice = once.replace_accounts(agenda, accounts[2:])  # merged on an unread merge
    assert pickle.loads(pickle.dumps(twice)) == agenda
    assert twice.findings == agenda.findings
    assert twice.snoozed == agenda.snoozed
    assert twice.acknowledged == agenda.acknowledged
    assert once == agenda
    assert repr(once) == repr(agenda)
    assert merge_agendas([twice.replace_accounts(agenda, accounts)]) == agenda
    unread = agenda.replace_accounts(agenda, accounts)
    assert attrs.evolve(unread, snoozed=()) == attrs.evolve(agenda, snoozed=())
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        twice.nonsense  # noqa: B018


def test_a_merge_that_drops_an_account_drops_its_findings() -> None:
    agenda = _sample_agenda()
    account = next(a for a in agenda.health if agenda.for_account(a))
    empty = Agenda(as_of=agenda.as_of, findings=(), health={})
    merged = agenda.replace_accounts(empty, [account])
    assert account not in merged.health
    assert merged.findings == tuple(f for f in agenda.findings if f.account_id != account)


def test_findings_without_params_or_values_share_one_empty_mapping() -> None:
    def make(**fields: Any) -> Finding:
        return Finding(
            account_id="A",
            owner="o",
            principle="p",
            code="c",
            severity="info",
            action="call",
            **fields,
        )

    bare, other = make(), make(params={})
    assert bare.params is bare.values is other.params
    given = {"days": 3}
    copied = make(params=given)
    given["days"] = 4
    assert copied.params == {"days": 3}
    with pytest.raises(ValueError, match="'severity' must be in"):
        Finding(account_id="A", owner="o", principle="p", code="c", severity="x", action="call")
    with pytest.raises(ValueError, match="'action' must be in"):
        Finding(account_id="A", owner="o", principle="p", code="c", severity="info", action="x")


def test_findings_sorted_in_runs_come_in_the_order_of_one_sort(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    agenda = _sample_agenda()
    assert len(agenda.findings) > 7
    monkeypatch.setattr("kamcore.review.agenda._RUN", 7)
    assert _sample_agenda() == agenda
