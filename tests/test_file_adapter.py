"""The file adapter, reached through kamcore.load_portfolio and real entry-point discovery."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import kamcore
import kamcore_adapters.files
from kamcore import LoadResult, PortfolioFormatError, Problem, SourceError
from kamcore.fileformat import FORMAT, VERSION, decode_portfolio
from kamcore.plugins import ENTRY_POINT_GROUP

T0 = "2024-03-01T09:00:00+00:00"

DOCUMENT: dict[str, Any] = {
    "format": FORMAT,
    "version": VERSION,
    "accounts": [
        {
            "id": "KA-001",
            "name": "纷享贸易有限公司",
            "owner": "u-anna",
            "transactions": [
                {"id": "T-1", "at": T0, "product": "泵", "amount": "1200.50", "currency": "CNY"}
            ],
            "events": [{"kind": "request", "id": "R-1", "at": T0, "subject": "скидка"}],
        }
    ],
}


def write_json(path: Path, document: Any = DOCUMENT) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def write_csv(folder: Path, accounts: str, transactions: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "accounts.csv").write_text(accounts, encoding="utf-8")
    if transactions is not None:
        (folder / "transactions.csv").write_text(transactions, encoding="utf-8")
    return folder


def assert_sample(result: LoadResult) -> None:
    assert result.quarantine == ()
    client = result.portfolio["KA-001"]
    assert client.account.name == "纷享贸易有限公司"
    assert client.transactions[0].amount == Decimal("1200.50")
    assert [e.id for e in client.timeline] == ["R-1"]


# -------------------------------------------------------------------------------------------------
# Discovery
# -------------------------------------------------------------------------------------------------


def test_file_adapter_is_found_through_its_entry_point() -> None:
    manager = kamcore.get_plugin_manager()
    assert ENTRY_POINT_GROUP == "kamcore"
    assert manager.get_plugin("files") is kamcore_adapters.files
    assert kamcore.get_plugin_manager(entry_points=False).get_plugin("files") is None


def test_each_manager_is_new() -> None:
    assert kamcore.get_plugin_manager() is not kamcore.get_plugin_manager()


# -------------------------------------------------------------------------------------------------
# JSON
# -------------------------------------------------------------------------------------------------


def test_json_path(tmp_path: Path) -> None:
    path = write_json(tmp_path / "portfolio.json")
    assert_sample(kamcore.load_portfolio(str(path)))
    assert_sample(kamcore.load_portfolio(str(path), strict=False))


def test_json_file_of_any_name(tmp_path: Path) -> None:
    assert_sample(kamcore.load_portfolio(str(write_json(tmp_path / "export.txt"))))


def test_file_prefix_with_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_json(tmp_path / "portfolio.json")
    monkeypatch.chdir(tmp_path)
    assert_sample(kamcore.load_portfolio("file:portfolio.json"))
    assert_sample(kamcore.load_portfolio("portfolio.json"))


def test_file_uri(tmp_path: Path) -> None:
    path = write_json(tmp_path / "portfolio.json")
    assert_sample(kamcore.load_portfolio(f"file://{path}"))


def test_file_uri_with_escaped_characters(tmp_path: Path) -> None:
    """``Path.as_uri()`` escapes spaces and non-ASCII names (``%20``, ``%E5…``): a file URI
    must be unquoted before use, or every path with a space or a Chinese folder fails."""
    folder = tmp_path / "客户 档案"
    folder.mkdir()
    path = write_json(folder / "portfolio.json")
    uri = path.as_uri()
    assert "%20" in uri
    assert_sample(kamcore.load_portfolio(uri))


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "portfolio.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(DOCUMENT).encode("utf-8"))
    assert_sample(kamcore.load_portfolio(str(path)))


def test_json_numbers_with_fractions_are_exact(tmp_path: Path) -> None:
    text = json.dumps(DOCUMENT).replace('"amount": "1200.50"', '"amount": 0.10')
    path = tmp_path / "portfolio.json"
    path.write_text(text, encoding="utf-8")
    client = kamcore.load_portfolio(str(path)).portfolio["KA-001"]
    assert client.transactions[0].amount == Decimal("0.10")


def test_invalid_utf8_is_a_format_error_at_the_top(tmp_path: Path) -> None:
    path = tmp_path / "portfolio.json"
    path.write_bytes(b'{"format": "kamcore.portfolio", "accounts": [], "x": "\xff"}')
    for strict in (True, False):
        with pytest.raises(PortfolioFormatError) as info:
            kamcore.load_portfolio(str(path), strict=strict)
        assert info.value.problems == (Problem("$", "not UTF-8 text (byte 54)"),)
        assert info.value.source == str(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"accounts": [}', "not valid JSON: Expecting value at line 1 column 15"),
        ("", "not valid JSON: Expecting value at line 1 column 1"),
        ('{"accounts": []}\n{}', "not valid JSON: Extra data at line 2 column 1"),
    ],
)
def test_invalid_json_is_a_format_error_at_the_top(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "portfolio.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PortfolioFormatError) as info:
        kamcore.load_portfolio(str(path), strict=False)
    assert info.value.problems == (Problem("$", message),)


def test_deeply_nested_json_is_a_format_error(tmp_path: Path) -> None:
    path = tmp_path / "portfolio.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(PortfolioFormatError) as info:
        kamcore.load_portfolio(str(path))
    assert [p.location for p in info.value.problems] == ["$"]


def test_integer_too_long_for_python_is_a_format_error(tmp_path: Path) -> None:
    """json.loads raises a plain ValueError (not JSONDecodeError) for integers over
    4300 digits; the loader must turn it into a PortfolioFormatError like other bad JSON."""
    path = tmp_path / "portfolio.json"
    path.write_text('{"accounts": [], "n": 1' + "0" * 5000 + "}", encoding="utf-8")
    with pytest.raises(PortfolioFormatError) as info:
        kamcore.load_portfolio(str(path))
    assert [p.location for p in info.value.problems] == ["$"]


def test_nan_score_in_a_file_is_a_record_problem(tmp_path: Path) -> None:
    """``NaN`` is accepted by Python's JSON reader; it must end in the quarantine."""
    document = json.loads(json.dumps(DOCUMENT))
    document["accounts"][0]["events"].append({"kind": "survey", "id": "S-1", "at": T0, "nps": 1})
    path = tmp_path / "portfolio.json"
    path.write_text(json.dumps(document).replace('"nps": 1', '"nps": NaN'), encoding="utf-8")
    result = kamcore.load_portfolio(str(path), strict=False)
    assert [q.record_id for q in result.quarantine] == ["S-1"]


def test_invalid_records_in_a_json_file(tmp_path: Path) -> None:
    document = json.loads(json.dumps(DOCUMENT))
    document["accounts"][0]["transactions"][0]["currency"] = "cny"
    path = write_json(tmp_path / "portfolio.json", document)
    with pytest.raises(PortfolioFormatError) as info:
        kamcore.load_portfolio(str(path))
    assert info.value.problems == (
        Problem(
            "accounts[0] (id=KA-001).transactions[0] (id=T-1).currency",
            "'cny' is not an ISO 4217 code such as EUR",
        ),
    )
    result = kamcore.load_portfolio(str(path), strict=False)
    assert [q.kind for q in result.quarantine] == ["transaction"]
    assert result.portfolio["KA-001"].transactions == ()


# -------------------------------------------------------------------------------------------------
# Sources that cannot be read
# -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "file:", "file://"])
def test_missing_file_is_a_source_error(tmp_path: Path, prefix: str) -> None:
    source = f"{prefix}{tmp_path / 'nope.json'}"
    with pytest.raises(SourceError) as info:
        kamcore.load_portfolio(source)
    assert isinstance(info.value, kamcore.KamcoreError)
    assert str(info.value).startswith(f"{source}: ")


def test_folder_without_accounts_csv_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as info:
        kamcore.load_portfolio(str(tmp_path))
    assert "no accounts.csv" in str(info.value)


def test_unreadable_file_is_a_source_error(tmp_path: Path) -> None:
    folder = tmp_path / "portfolio.json"
    folder.mkdir()  # a folder named like a file, with no accounts.csv in it
    with pytest.raises(SourceError):
        kamcore.load_portfolio(str(folder))


@pytest.mark.parametrize(
    "source", ["salesforce:acme-eu", "hubspot:tenant-1", "https://crm.example/x"]
)
def test_unknown_scheme_is_a_source_error_naming_the_source(source: str) -> None:
    with pytest.raises(SourceError) as info:
        kamcore.load_portfolio(source)
    message = str(info.value)
    assert message.startswith(f"{source}: no installed plugin reads this source")
    assert "files" in message


@pytest.mark.parametrize("source", ["zoho:acme-eu", "fxiaoke:tenant-1"])
def test_a_crm_source_without_a_profile_says_how_to_configure_one(
    source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAMCORE_CONFIG", str(tmp_path / "kamcore.toml"))
    with pytest.raises(SourceError) as info:
        kamcore.load_portfolio(source)
    scheme, name = source.split(":")
    assert str(info.value).startswith(f"{source}: no such profile: add a [{scheme}.{name}] table")


def test_file_adapter_leaves_other_schemes_alone() -> None:
    assert kamcore_adapters.files.kamcore_load_portfolio("zoho:acme", True) is None
    assert kamcore_adapters.files.kamcore_load_portfolio("memo:x", False) is None


# -------------------------------------------------------------------------------------------------
# CSV
# -------------------------------------------------------------------------------------------------

ACCOUNTS_CSV = (
    "id,name,owner,tier,client_since,needs,preferences,fact.potential,fact.share,"
    "fact.uses_competitor,fact.segment,fact.strategic_list\n"
    "KA-001,Acme Handel GmbH,u-anna,key,2019-04-01,spare parts; quarterly restock;;,"
    "calls before e-mails,120,0.35,TRUE,retail,false\n"
    "KA-002,纷享贸易,u-boris,,,,,-3,1e3,False,零售,\n"
)
TRANSACTIONS_CSV = (
    "account_id,id,at,product,amount,currency\n"
    "KA-001,T-1,2024-02-03T09:00:00+02:00,Pump X200,1200.50,EUR\n"
    "KA-001,T-2,2024-02-20T11:15:00+02:00,Pump X200 (refund),-35.00,EUR\n"
    "KA-002,T-1,2024-01-09T10:00:00Z,Service plan,900,BGN\n"
)


def test_csv_folder(tmp_path: Path) -> None:
    folder = write_csv(tmp_path / "export", ACCOUNTS_CSV, TRANSACTIONS_CSV)
    result = kamcore.load_portfolio(str(folder))
    assert result.quarantine == ()
    acme, other = result.portfolio
    assert acme.account.tier == "key"
    assert str(acme.account.client_since) == "2019-04-01"
    assert acme.account.needs == ("spare parts", "quarterly restock")
    assert acme.account.preferences == ("calls before e-mails",)
    assert dict(acme.account.facts) == {
        "potential": 120,
        "share": 0.35,
        "uses_competitor": True,
        "segment": "retail",
        "strategic_list": False,
    }
    assert type(acme.account.facts["potential"]) is int
    assert type(acme.account.facts["share"]) is float
    assert [(t.id, t.amount, t.currency) for t in acme.transactions] == [
        ("T-1", Decimal("1200.50"), "EUR"),
        ("T-2", Decimal("-35.00"), "EUR"),
    ]
    # Empty cells are "not given"; a fact cell left empty is no fact at all.
    assert other.account.tier is None
    assert other.account.needs == ()
    assert dict(other.account.facts) == {
        "potential": -3,
        "share": 1000.0,
        "uses_competitor": False,
        "segment": "零售",
    }
    assert [t.id for t in other.transactions] == ["T-1"]


def test_csv_path_of_accounts_csv(tmp_path: Path) -> None:
    folder = write_csv(tmp_path / "export", ACCOUNTS_CSV, TRANSACTIONS_CSV)
    for source in (
        str(folder / "accounts.csv"),
        f"file:{folder / 'accounts.csv'}",
        f"file:{folder}",
    ):
        result = kamcore.load_portfolio(source)
        assert list(result.portfolio.files) == ["KA-001", "KA-002"]
        assert len(result.portfolio["KA-001"].transactions) == 2


def test_csv_without_transactions(tmp_path: Path) -> None:
    folder = write_csv(tmp_path / "export", ACCOUNTS_CSV)
    result = kamcore.load_portfolio(str(folder))
    assert [len(c.transactions) for c in result.portfolio] == [0, 0]


def test_csv_with_byte_order_mark(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "accounts.csv").write_bytes(b"\xef\xbb\xbf" + ACCOUNTS_CSV.encode("utf-8"))
    (folder / "transactions.csv").write_text(TRANSACTIONS_CSV, encoding="utf-8-sig")
    result = kamcore.load_portfolio(str(folder))
    assert list(result.portfolio.files) == ["KA-001", "KA-002"]
    assert len(result.portfolio["KA-001"].transactions) == 2


ORPHAN_CSV = TRANSACTIONS_CSV + "KA-404,T-9,2024-01-09T10:00:00Z,Service plan,900,BGN\n"


def test_csv_transaction_of_a_missing_account_strict(tmp_path: Path) -> None:
    folder = write_csv(tmp_path / "export", ACCOUNTS_CSV, ORPHAN_CSV)
    with pytest.raises(PortfolioFormatError) as info:
        kamcore.load_portfolio(str(folder))
    assert info.value.problems == (
        Problem("transactions.csv line 5.account_id", "no account with this id in accounts.csv"),
    )


def test_csv_transaction_of_a_missing_account_collect(tmp_path: Path) -> None:
    folder = write_csv(tmp_path / "export", ACCOUNTS_CSV, ORPHAN_CSV)
    result = kamcore.load_portfolio(str(folder), strict=False)
    (orphan,) = result.quarantine
    assert (orphan.kind, orphan.location, orphan.record_id, orphan.account_id) == (
        "transaction",
        "transactions.csv line 5",
        "T-9",
        "KA-404",
    )
    assert orphan.raw["product"] == "Service plan"
    assert sum(len(c.transactions) for c in result.portfolio) == 3


def test_csv_line_numbers_count_blank_lines(tmp_path: Path) -> None:
    """The reported line is the line of the file, even after a blank line."""
    transactions = TRANSACTIONS_CSV + "\n" + "KA-404,T-9,2024-01-09T10:00:00Z,Plan,900,BGN\n"
    folder = write_csv(tmp_path / "export", ACCOUNTS_CSV, transactions)
    with pytest.raises(PortfolioFormatError) as info:
        kamcore.load_portfolio(str(folder))
    assert [p.location for p in info.value.problems] == ["transactions.csv line 6.account_id"]


def test_csv_bad_cells_are_reported(tmp_path: Path) -> None:
    accounts = "id,name,owner,client_since,region\nKA-001,Acme,u-anna,01.04.2019,EU\nKA-002,Beta,u-boris,,\n"
    transactions = (
        "account_id,id,at,product,amount,currency\n"
        'KA-002,T-1,2024-02-03T09:00:00,Pump,"1,200.50",EUR\n'
        "KA-002,T-2,2024-02-03T09:00:00+02:00,Pump,12,eur\n"
        "KA-002,T-3,2024-02-03T09:00:00+02:00,Pump,12,EUR\n"
    )
    folder = write_csv(tmp_path / "export", accounts, transactions)
    with pytest.raises(PortfolioFormatError) as info:
        kamcore.load_portfolio(str(folder))
    problems = {p.location: p.message for p in info.value.problems}
    assert problems["accounts[0] (id=KA-001).client_since"] == (
        "'01.04.2019' is not an ISO 8601 date (YYYY-MM-DD)"
    )
    assert problems["accounts[0] (id=KA-001).region"] == "unknown field"
    assert problems["accounts[1] (id=KA-002).transactions[0] (id=T-1).at"] == (
        "naive datetime; give an offset"
    )
    assert (
        "not a decimal amount"
        in problems["accounts[1] (id=KA-002).transactions[0] (id=T-1).amount"]
    )
    assert problems["accounts[1] (id=KA-002).transactions[1] (id=T-2).currency"] == (
        "'eur' is not an ISO 4217 code such as EUR"
    )
    assert len(problems) == 5
    result = kamcore.load_portfolio(str(folder), strict=False)
    assert list(result.portfolio.files) == ["KA-002"]
    assert [t.id for t in result.portfolio["KA-002"].transactions] == ["T-3"]


def test_csv_that_is_not_utf8(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "accounts.csv").write_bytes("id,name,owner\nKA-1,Ростелеком,u\n".encode("cp1251"))
    with pytest.raises(PortfolioFormatError) as info:
        kamcore.load_portfolio(str(folder))
    (problem,) = info.value.problems
    assert problem.location == "accounts.csv"
    assert problem.message.startswith("not a UTF-8 CSV table")


# -------------------------------------------------------------------------------------------------
# A plugin of one's own
# -------------------------------------------------------------------------------------------------


class MemoryPlugin:
    """Answers for ``memo:NAME`` sources from a dict of documents."""

    def __init__(self, documents: dict[str, Any]) -> None:
        self.documents = documents
        self.calls: list[tuple[str, bool]] = []

    @kamcore.hookimpl
    def kamcore_load_portfolio(self, source: str, strict: bool) -> LoadResult | None:
        self.calls.append((source, strict))
        if not source.startswith("memo:"):
            return None
        name = source.removeprefix("memo:")
        if name not in self.documents:
            raise SourceError(f"{source}: no such document")
        return decode_portfolio(self.documents[name], source=source, strict=strict)


def test_custom_plugin_answers_for_its_scheme() -> None:
    plugin = MemoryPlugin({"acme": DOCUMENT})
    manager = kamcore.get_plugin_manager(entry_points=False, plugins=[plugin])
    assert_sample(kamcore.load_portfolio("memo:acme", plugins=manager))
    kamcore.load_portfolio("memo:acme", strict=False, plugins=manager)
    assert plugin.calls == [("memo:acme", True), ("memo:acme", False)]
    with pytest.raises(SourceError, match="memo:other: no such document"):
        kamcore.load_portfolio("memo:other", plugins=manager)


def test_custom_plugin_returns_none_for_other_sources(tmp_path: Path) -> None:
    plugin = MemoryPlugin({"acme": DOCUMENT})
    manager = kamcore.get_plugin_manager(entry_points=False, plugins=[plugin])
    path = write_json(tmp_path / "portfolio.json")
    # Without the file adapter, nobody reads a path.
    with pytest.raises(SourceError) as info:
        kamcore.load_portfolio(str(path), plugins=manager)
    assert str(info.value).startswith(f"{path}: no installed plugin reads this source")
    assert plugin.calls == [(str(path), True)]


def test_custom_plugin_beside_the_installed_ones(tmp_path: Path) -> None:
    plugin = MemoryPlugin({"acme": DOCUMENT})
    manager = kamcore.get_plugin_manager(plugins=[plugin])
    assert_sample(kamcore.load_portfolio("memo:acme", plugins=manager))
    assert_sample(kamcore.load_portfolio(str(write_json(tmp_path / "p.json")), plugins=manager))


def test_custom_plugin_strict_refusal_passes_through() -> None:
    bad = {"format": FORMAT, "accounts": [{"id": "A-1", "name": "", "owner": "li"}]}
    manager = kamcore.get_plugin_manager(entry_points=False, plugins=[MemoryPlugin({"bad": bad})])
    with pytest.raises(PortfolioFormatError) as info:
        kamcore.load_portfolio("memo:bad", plugins=manager)
    assert info.value.source == "memo:bad"
    result = kamcore.load_portfolio("memo:bad", strict=False, plugins=manager)
    assert len(result.portfolio) == 0
    assert [q.location for q in result.quarantine] == ["accounts[0] (id=A-1)"]


def test_csv_transactions_go_to_the_account_that_is_kept(tmp_path: Path) -> None:
    """With a duplicate account row, the first row is kept (the second is quarantined);
    the transactions naming that id must belong to the kept account, not vanish into
    the raw of the quarantined duplicate."""
    accounts = "id,name,owner\nKA-001,Acme,u-anna\nKA-001,Acme (copy),u-boris\n"
    transactions = (
        "account_id,id,at,product,amount,currency\nKA-001,T-1,2024-02-03T09:00:00Z,Pump,12,EUR\n"
    )
    folder = write_csv(tmp_path / "export", accounts, transactions)
    result = kamcore.load_portfolio(str(folder), strict=False)
    assert [q.location for q in result.quarantine] == ["accounts[1] (id=KA-001)"]
    kept = result.portfolio["KA-001"]
    assert kept.account.name == "Acme"
    assert [t.id for t in kept.transactions] == ["T-1"]
