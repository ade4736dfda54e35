"""The synthetic portfolio generator, ``kamcore generate`` and the streaming reader."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kamcore import PortfolioFormatError, load_portfolio
from kamcore.cli import main
from kamcore.fileformat import _jsonstream, decode_portfolio, decode_portfolio_stream
from kamcore.model import EVENT_TYPES
from kamcore.synthetic import (
    SyntheticSpec,
    synthetic_client_file,
    write_synthetic_portfolio,
)

SPEC = SyntheticSpec(accounts=60, events_per_account=25, seed=11)


def written(spec: SyntheticSpec) -> str:
    out = io.StringIO()
    write_synthetic_portfolio(spec, out)
    return out.getvalue()


@pytest.fixture(scope="module")
def text() -> str:
    return written(SPEC)


def test_output_decodes_with_no_quarantine(text: str) -> None:
    result = decode_portfolio(json.loads(text, parse_float=Decimal), source="s", strict=False)
    assert result.quarantine == ()
    portfolio = result.portfolio
    assert len(portfolio) == SPEC.accounts
    assert all(len(client.timeline) == SPEC.events_per_account for client in portfolio)
    assert portfolio.exported_at == SPEC.exported_at
    assert all(e.at <= SPEC.exported_at for client in portfolio for e in client.timeline)


def test_output_has_the_realistic_mix(text: str) -> None:
    portfolio = decode_portfolio(json.loads(text, parse_float=Decimal), source="s").portfolio
    kinds = Counter(e.kind for client in portfolio for e in client.timeline)
    assert set(kinds) == set(EVENT_TYPES), "every event kind appears"
    tiers = Counter(client.account.tier for client in portfolio)
    assert {"key", "vip", "regular"} <= set(tiers)
    assert tiers["regular"] > tiers["key"]
    promises = [p for client in portfolio for p in client.timeline.promises()]
    assert any(len(p.renegotiations) >= 2 for p in promises), "repeated slips"
    assert any(c.open for client in portfolio for c in client.timeline.complaints())
    roles = {member.role for member in portfolio.staff}
    assert {"account_manager", "department_head", "support"} <= roles
    assert any(not member.sees_key_list for member in portfolio.staff)
    assert portfolio.reports
    last_contacts = [client.timeline.last_contact() for client in portfolio]
    silent = [c for c in last_contacts if c is None or (SPEC.exported_at - c.at).days > 45]
    assert silent, "some accounts have gone silent"


def test_same_seed_same_bytes_other_seed_other_bytes(text: str) -> None:
    assert written(SPEC) == text
    assert written(SyntheticSpec(accounts=60, events_per_account=25, seed=12)) != text


def test_an_account_is_the_same_alone_and_in_the_portfolio(text: str) -> None:
    portfolio = decode_portfolio(json.loads(text, parse_float=Decimal), source="s").portfolio
    alone = synthetic_client_file(SPEC, 17)
    assert portfolio[alone.id] == alone
    changed = synthetic_client_file(SPEC, 17, variant=1)
    assert changed.id == alone.id
    assert changed.account.owner == alone.account.owner
    assert changed != alone


@settings(max_examples=15, deadline=None)
@given(
    accounts=st.integers(1, 4),
    events=st.integers(1, 40),
    seed=st.integers(0, 2**32),
    days=st.integers(-3000, 3000),
)
def test_any_spec_decodes_cleanly(accounts: int, events: int, seed: int, days: int) -> None:
    exported_at = datetime.fromordinal(739000 + days).replace(tzinfo=UTC)
    spec = SyntheticSpec(
        accounts=accounts, events_per_account=events, seed=seed, exported_at=exported_at
    )
    result = decode_portfolio_stream(io.StringIO(written(spec)), source="s", strict=False)
    assert result.quarantine == ()
    assert [len(c.timeline) for c in result.portfolio] == [events] * accounts


@pytest.mark.parametrize("bad", [0, -1, True, 1.5])
def test_spec_refuses_sizes_below_one(bad: object) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        SyntheticSpec(accounts=bad)  # type: ignore[arg-type]


def test_generate_command_writes_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "big.json"
    argv = ["generate", "--accounts", "60", "--events-per-account", "25", "--seed", "11"]
    assert main([*argv, "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == f"wrote {out}: 60 accounts, 1500 events (seed 11)"
    assert "60/60 accounts" in captured.err.splitlines()[-1]
    assert out.read_text(encoding="utf-8") == written(SPEC)
    assert len(load_portfolio(str(out)).portfolio) == 60


def test_generate_command_refuses_a_bad_size(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--accounts", "0", "--out", "x.json"]) == 2
    assert "must be at least 1" in capsys.readouterr().err


def test_generate_command_reports_an_unwritable_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "missing" / "big.json"
    assert main(["generate", "--accounts", "1", "--out", str(out)]) == 1
    assert "cannot write" in capsys.readouterr().err


# The streaming reader gives what the whole-document reader gives.


def both(document_text: str, *, strict: bool = False) -> tuple[object, object]:
    whole = decode_portfolio(
        json.loads(document_text, parse_float=Decimal), source="s", strict=strict
    )
    streamed = decode_portfolio_stream(io.StringIO(document_text), source="s", strict=strict)
    return whole, streamed


def test_stream_equals_whole_document(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # A tiny chunk makes every value straddle a chunk boundary at some point.
    monkeypatch.setattr(_jsonstream, "CHUNK", 7)
    whole, streamed = both(text)
    assert streamed == whole


def test_stream_reads_members_in_any_order_and_reports_problems_alike(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_jsonstream, "CHUNK", 5)
    account = {"id": "A-1", "name": "Acme", "owner": "li"}
    bad_event = {"kind": "request", "id": "R-1", "at": "2024-03-01T09:00:00"}
    document = {
        "reports": [
            {"id": "R", "at": "2024-03-02T09:00:00+00:00", "to": "x", "account_ids": ["A-2"]}
        ],
        "accounts": [
            {**account, "events": [bad_event]},
            account,
            {"id": "A-3", "name": " ", "owner": "li"},
            7,
        ],
        "staff": [{"id": "li", "name": "Li", "role": "nobody"}],
        "version": 1,
        "exported_at": "2024-03-05T09:00:00+00:00",
    }
    whole, streamed = both(json.dumps(document))
    assert streamed == whole
    assert [q.location for q in streamed.quarantine] == [  # type: ignore[attr-defined]
        "staff[0] (id=li)",
        "accounts[0] (id=A-1).events[0] (id=R-1)",
        "accounts[2] (id=A-3)",
        "accounts[3]",
        "accounts[1] (id=A-1)",
        "reports[0] (id=R)",
    ]


@pytest.mark.parametrize(
    "document_text",
    [
        "[]",
        "{}",
        '{"accounts": 3}',
        '{"format": "other", "accounts": []}',
        '{"version": 2, "accounts": [{"id": "A"}]}',
    ],
)
def test_stream_refuses_what_the_whole_reader_refuses(document_text: str) -> None:
    with pytest.raises(PortfolioFormatError) as whole:
        decode_portfolio(json.loads(document_text), source="s")
    with pytest.raises(PortfolioFormatError) as streamed:
        decode_portfolio_stream(io.StringIO(document_text), source="s")
    assert streamed.value.problems == whole.value.problems


@pytest.mark.parametrize(
    "document_text",
    [
        '{"accounts": [{"id": "A", "name": "n", "owner": "o"},]}',
        '{"accounts": [] "x": 1}',
        '{"accounts": []} []',
        '{"accounts": [1',
        "{accounts: []}",
        "",
    ],
)
def test_stream_refuses_invalid_json(document_text: str) -> None:
    with pytest.raises(PortfolioFormatError) as refused:
        decode_portfolio_stream(io.StringIO(document_text), source="s")
    (problem,) = refused.value.problems
    assert problem.message.startswith("not valid JSON")


def test_stream_refuses_accounts_given_twice() -> None:
    document_text = '{"accounts": [], "accounts": [{"id": "A", "name": "n", "owner": "o"}]}'
    with pytest.raises(PortfolioFormatError, match="given twice"):
        decode_portfolio_stream(io.StringIO(document_text), source="s")


def test_stream_reads_a_number_split_across_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_jsonstream, "CHUNK", 1)
    document = _jsonstream.read_object(io.StringIO('{"v": 12345, "accounts": []}'), "x", print)
    assert document == {"v": 12345, "accounts": []}


@pytest.mark.parametrize("chunk", [1, 3, 1 << 20])
@pytest.mark.parametrize(
    "document_text",
    [
        '{"accounts": [\n  {"id": 1},\n  {"id": 2}, ]\n}',
        '{\n"accounts": [],\n   "x": tru\n}',
        '\n\n  {"accounts": []} x',
        '{"staff": [], "accounts": [{"id": "A"}\n\n  {"id": "B"}]}',
    ],
)
def test_stream_says_where_the_json_breaks_as_json_does(
    document_text: str, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_jsonstream, "CHUNK", chunk)
    with pytest.raises(json.JSONDecodeError) as whole:
        json.loads(document_text)
    with pytest.raises(PortfolioFormatError) as streamed:
        decode_portfolio_stream(io.StringIO(document_text), source="s")
    (problem,) = streamed.value.problems
    assert problem.message.endswith(f"at line {whole.value.lineno} column {whole.value.colno}")
