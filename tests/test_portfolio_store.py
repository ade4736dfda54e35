"""The portfolio store: what ``sync`` loads is kept in the ledger's SQLite database, with
the cursor in the same transaction, and read back as the source ``synced:SOURCE``."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kamcore import LoadResult, PortfolioFormatError, SourceError, hookimpl
from kamcore.cli import main
from kamcore.fileformat import decode_portfolio, dumps_portfolio, encode_client_file
from kamcore.model import Portfolio
from kamcore.plugins import DISABLE_ENV, get_plugin_manager, load_portfolio
from kamcore.stores import Ledger, PortfolioStore, read_synced_source, synced_source
from kamcore.stores.ledger import LEDGER_ENV
from kamcore.sync import ChangeSet, sync
from kamcore_adapters.testing import ManualClock
from kamcore_adapters.testing.zoho import LocalZoho, populate
from strategies import client_files, fast, moments, optional, reports, staff_members
from zoho_support import SOURCE as ZOHO_SOURCE
from zoho_support import (  # noqa: F401 - fixtures
    fixture_clock,
    fixture_profile,
    fixture_server,
    fixture_zoho,
    later,
)

SAMPLE = Path(__file__).parent.parent / "src" / "kamcore" / "data" / "sample-portfolio.json"
T0 = "2026-11-10T09:00:00+00:00"


def account(account_id: str, name: str = "Acme", **extra: Any) -> dict[str, Any]:
    return {"id": account_id, "name": name, "owner": "u-anna", **extra}


def document(*accounts: dict[str, Any], **header: Any) -> dict[str, Any]:
    return {"format": "kamcore.portfolio", "version": 1, **header, "accounts": list(accounts)}


def write(path: Path, data: dict[str, Any]) -> str:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in an empty folder, with no ledger from the environment and every plugin on."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(LEDGER_ENV, raising=False)
    monkeypatch.delenv(DISABLE_ENV, raising=False)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(tmp_path / "ledger.sqlite3") as opened:
        yield opened


def stored(ledger: Ledger, source: str, tenant: str = "default") -> LoadResult:
    result = PortfolioStore(ledger).load(tenant, source)
    assert result is not None, f"nothing stored for {source}"
    return result


class Scripted:
    """A source ``scripted:…`` that loads incrementally whatever the test hands it next."""

    def __init__(self) -> None:
        self.next: ChangeSet | None = None
        self.since: list[str | None] = []

    def serve(self, portfolio: Portfolio, cursor: str = "c", stopped: str | None = None) -> None:
        self.next = ChangeSet(LoadResult(portfolio), cursor, stopped)

    @hookimpl
    def kamcore_load_changes(
        self, source: str, since: str | None, strict: bool
    ) -> ChangeSet | None:
        if not source.startswith("scripted:"):
            return None
        self.since.append(since)
        assert self.next is not None
        return self.next


@pytest.fixture
def scripted() -> Scripted:
    return Scripted()


def sync_scripted(ledger: Ledger, scripted: Scripted, **options: Any) -> int:
    manager = get_plugin_manager(entry_points=False, plugins=[scripted])
    return sync("scripted:crm", ledger, plugins=manager, **options).stored


def decoded(*accounts: dict[str, Any], **header: Any) -> Portfolio:
    return decode_portfolio(document(*accounts, **header), source="test").portfolio


# -------------------------------------------------------------------------------------------------
# Round trip, merge, quarantine
# -------------------------------------------------------------------------------------------------


def test_what_sync_stored_is_what_the_source_gave_client_file_by_client_file(
    ledger: Ledger,
) -> None:
    source = str(SAMPLE)
    summary = sync(source, ledger)
    given_result = load_portfolio(source)

    kept = stored(ledger, source)
    assert summary.stored == len(given_result.portfolio) == 45
    assert list(kept.portfolio.files) == list(given_result.portfolio.files)  # same order
    for client in given_result.portfolio:
        assert kept.portfolio[client.id] == client, client.id
        assert encode_client_file(kept.portfolio[client.id]) == encode_client_file(client)
    assert kept.portfolio.staff == given_result.portfolio.staff
    assert kept.portfolio.reports == given_result.portfolio.reports
    assert kept.portfolio.exported_at == given_result.portfolio.exported_at
    assert kept.quarantine == ()


def test_changes_are_merged_over_what_was_kept(ledger: Ledger, scripted: Scripted) -> None:
    scripted.serve(decoded(account("KA-1"), account("KA-2")), cursor="c1")
    assert sync_scripted(ledger, scripted) == 2

    changed = account("KA-2", name="Acme Renamed")
    scripted.serve(decoded(account("KA-3"), changed), cursor="c2")
    assert sync_scripted(ledger, scripted) == 3

    kept = stored(ledger, "scripted:crm").portfolio
    assert scripted.since == [None, "c1"]
    assert list(kept.files) == ["KA-1", "KA-2", "KA-3"]  # a known account keeps its place
    assert kept["KA-2"].account.name == "Acme Renamed"
    assert ledger.cursor("default", "scripted:crm") == "c2"


def test_a_full_load_replaces_the_sources_files(ledger: Ledger, scripted: Scripted) -> None:
    scripted.serve(decoded(account("KA-1"), account("KA-2")), cursor="c1")
    sync_scripted(ledger, scripted)
    scripted.serve(decoded(account("KA-3")), cursor="c2")

    assert sync_scripted(ledger, scripted, full=True) == 1
    assert list(stored(ledger, "scripted:crm").portfolio.files) == ["KA-3"]


def test_a_load_cut_short_is_kept_and_merged_even_when_full(
    ledger: Ledger, scripted: Scripted
) -> None:
    scripted.serve(decoded(account("KA-1"), account("KA-2")), cursor="c1")
    sync_scripted(ledger, scripted)
    scripted.serve(decoded(account("KA-3")), cursor="c2", stopped="daily quota used up")

    # What was read before the quota ran out is kept; what was not read yet is not dropped.
    assert sync_scripted(ledger, scripted, full=True) == 3
    assert ledger.cursor("default", "scripted:crm") == "c2"


def test_stores_are_per_tenant_and_source(ledger: Ledger, tmp_path: Path) -> None:
    one = write(tmp_path / "one.json", document(account("KA-1")))
    two = write(tmp_path / "two.json", document(account("KA-2"), account("KA-3")))
    sync(one, ledger)
    sync(two, ledger, tenant="acme")

    store = PortfolioStore(ledger)
    assert store.count("default", one) == 1
    assert store.count("acme", two) == 2
    assert store.load("default", two) is None
    assert store.sources("acme") == [two]


def test_the_quarantine_is_kept_with_the_raw_record(ledger: Ledger, tmp_path: Path) -> None:
    invalid = {"id": "KA-2", "name": "Corner Shop", "facts": {"margin": 12.5}}  # no owner
    source = write(tmp_path / "invalid.json", document(account("KA-1"), invalid))
    summary = sync(source, ledger)

    [kept] = stored(ledger, source).quarantine
    [loaded] = summary.result.quarantine
    assert kept == loaded  # kind, location, ids, problems
    assert kept.problems[0].message == "missing"
    assert json.loads(json.dumps(kept.raw, default=str)) == {
        "id": "KA-2",
        "name": "Corner Shop",
        "facts": {"margin": "12.5"},  # an exact decimal is kept as its text
    }


def test_an_account_that_comes_in_valid_leaves_the_quarantine(
    ledger: Ledger, scripted: Scripted
) -> None:
    broken = decode_portfolio(
        document(account("KA-1"), {"id": "KA-2", "name": "x"}, {"id": "KA-3", "name": "y"}),
        source="crm",
        strict=False,
    )
    scripted.next = ChangeSet(broken, "c1")
    sync_scripted(ledger, scripted)
    assert [q.record_id for q in stored(ledger, "scripted:crm").quarantine] == ["KA-2", "KA-3"]

    scripted.serve(decoded(account("KA-2")), cursor="c2")
    sync_scripted(ledger, scripted)
    kept = stored(ledger, "scripted:crm")
    assert [q.record_id for q in kept.quarantine] == ["KA-3"]
    assert list(kept.portfolio.files) == ["KA-1", "KA-2"]


# -------------------------------------------------------------------------------------------------
# Atomicity: the cursor never moves past what was not kept
# -------------------------------------------------------------------------------------------------


class Injected(Exception):
    """The failure a test injects while the store writes."""


def fail(*_: object, **__: object) -> None:
    raise Injected


@pytest.mark.parametrize(
    "step",
    [
        "kamcore.stores.portfolio.store_cursor",  # after every file and the quarantine
        "kamcore.stores.portfolio.PortfolioStore._write_quarantine",  # after the files
        "kamcore.stores.portfolio.encode_portfolio",  # before anything
    ],
)
def test_a_failure_while_storing_keeps_the_old_cursor_and_the_old_files(
    tmp_path: Path, scripted: Scripted, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    path = tmp_path / "ledger.sqlite3"
    with Ledger(path) as ledger:
        scripted.serve(decoded(account("KA-1"), account("KA-2")), cursor="c1")
        sync_scripted(ledger, scripted)
    with Ledger(path) as ledger:
        before = stored(ledger, "scripted:crm")

    scripted.serve(decoded(account("KA-2", name="Changed"), account("KA-3")), cursor="c2")
    with monkeypatch.context() as patched, Ledger(path) as ledger:
        patched.setattr(step, fail)
        with pytest.raises(Injected):
            sync_scripted(ledger, scripted)

    with Ledger(path) as reopened:  # a fresh connection to the real file
        assert reopened.cursor("default", "scripted:crm") == "c1"
        assert stored(reopened, "scripted:crm") == before
        assert sync_scripted(reopened, scripted) == 3  # the same changes, loaded again
        assert reopened.cursor("default", "scripted:crm") == "c2"


def test_an_older_ledger_gains_the_store_and_keeps_its_cursors(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:  # the ledger as a release before the store made it
        db.execute(
            "CREATE TABLE cursors (tenant TEXT NOT NULL, source TEXT NOT NULL,"
            " cursor TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (tenant, source))"
        )
        db.execute("INSERT INTO cursors VALUES ('default', 'zoho:acme', 'c9', 'then')")
    db.close()
    source = write(tmp_path / "p.json", document(account("KA-1")))
    with Ledger(path) as ledger:
        assert sync(source, ledger).stored == 1
        assert ledger.cursor("default", "zoho:acme") == "c9"


# -------------------------------------------------------------------------------------------------
# Property: any sequence of full and incremental syncs leaves the last full view merged
# -------------------------------------------------------------------------------------------------

POOL = st.sampled_from(["KA-1", "KA-2", "KA-3", "KA-4"])


@st.composite
def small_portfolios(draw: st.DrawFn) -> Portfolio:
    """Portfolios over a few shared account ids, so that syncs overlap."""
    files = draw(st.lists(client_files(POOL), max_size=3, unique_by=lambda f: f.id))
    account_ids = tuple(f.id for f in files)
    return Portfolio(
        files=files,
        staff=draw(st.lists(staff_members, max_size=2, unique_by=lambda s: s.id)),
        reports=draw(st.lists(reports(account_ids), max_size=2, unique_by=lambda r: r.id)),
        exported_at=draw(optional(moments())),
    )


def merged(view: Portfolio, changes: Portfolio) -> Portfolio:
    """The model of a merge: by id, a known id keeps its place, a new one comes last."""
    files = {**view.files, **changes.files}
    staff = {m.id: m for m in view.staff} | {m.id: m for m in changes.staff}
    reports_by_id = {r.id: r for r in view.reports} | {r.id: r for r in changes.reports}
    return Portfolio(
        files=list(files.values()),
        staff=list(staff.values()),
        reports=list(reports_by_id.values()),
        exported_at=changes.exported_at or view.exported_at,
    )


@fast(25)
@given(st.lists(st.tuples(st.booleans(), small_portfolios()), min_size=1, max_size=4))
def test_any_sequence_of_syncs_leaves_the_last_full_view_with_the_changes_since(
    tmp_path_factory: pytest.TempPathFactory, syncs: list[tuple[bool, Portfolio]]
) -> None:
    scripted = Scripted()
    expected = Portfolio()
    with Ledger(tmp_path_factory.mktemp("property") / "ledger.sqlite3") as ledger:
        for number, (full, portfolio) in enumerate(syncs):
            scripted.serve(portfolio, cursor=f"c{number}")
            if full:
                count = sync_scripted(ledger, scripted, full=True)
                expected = portfolio
            else:
                count = sync_scripted(ledger, scripted, since=f"c{number - 1}")
                expected = merged(expected, portfolio)
            kept = stored(ledger, "scripted:crm").portfolio
            assert count == len(expected)
            assert list(kept.files) == list(expected.files)
            assert kept == expected


# -------------------------------------------------------------------------------------------------
# Reading back: synced:SOURCE
# -------------------------------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_synced_sources_name_the_tenant_in_the_scheme() -> None:
    assert read_synced_source(synced_source("zoho:acme")) == ("default", "zoho:acme")
    assert read_synced_source(synced_source("a.json", tenant="t-1")) == ("t-1", "a.json")
    assert read_synced_source("synced+:a.json") is None
    assert read_synced_source("synced:") is None
    assert read_synced_source("syncedx:a.json") is None


def test_review_of_the_synced_source_gives_the_same_agenda(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = write(tmp_path / "portfolio.json", json.loads(SAMPLE.read_text(encoding="utf-8")))
    code, out, err = run(capsys, "sync", "portfolio.json")
    assert (code, err) == (0, "")
    assert out.splitlines()[1] == "synced:portfolio.json: 45 client files kept"

    direct = run(capsys, "review", "portfolio.json")
    Path(source).unlink()  # the second review reads only the ledger
    assert run(capsys, "review", "synced:portfolio.json") == direct
    assert direct[0] == 0


def test_the_ledger_comes_from_the_environment_and_the_tenant_from_the_scheme(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LEDGER_ENV, str(tmp_path / "elsewhere" / "ledger.sqlite3"))
    write(tmp_path / "p.json", document(account("KA-1"), exported_at=T0))
    code, out, _ = run(capsys, "sync", "p.json", "--tenant", "acme")
    assert (code, out.splitlines()[1]) == (0, "synced+acme:p.json: 1 client file kept")

    code, out, _ = run(capsys, "accounts", "synced+acme:p.json", "--format", "json")
    assert code == 0
    assert [a["id"] for a in json.loads(out)] == ["KA-1"]

    code, out, err = run(capsys, "accounts", "synced:p.json")
    assert (code, out) == (1, "")
    assert err.startswith("kamcore: error: synced:p.json: nothing synced from p.json for tenant")

    code, _, err = run(capsys, "accounts", "synced+other one:p.json")
    assert code == 1
    assert err.endswith("run `kamcore sync p.json --tenant 'other one'` first\n")


def test_a_synced_source_without_a_ledger_is_one_error_and_creates_none(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "review", "synced:zoho:acme")
    assert code == 1
    assert err == (
        "kamcore: error: synced:zoho:acme: no ledger at kamcore-ledger.sqlite3;"
        " run `kamcore sync zoho:acme` first\n"
    )
    assert not (tmp_path / "kamcore-ledger.sqlite3").exists()


def test_a_stored_quarantine_refuses_a_strict_read_and_shows_with_collect(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    write(tmp_path / "bad.json", document(account("KA-1"), {"id": "KA-2", "name": "x"}))
    run(capsys, "sync", "bad.json")

    with pytest.raises(PortfolioFormatError) as refused:
        load_portfolio("synced:bad.json")
    assert [str(p) for p in refused.value.problems] == ["accounts[1] (id=KA-2).owner: missing"]

    code, _, err = run(capsys, "review", "synced:bad.json", "--collect")
    assert code == 0
    assert "synced:bad.json: 1 record quarantined" in err
    assert "accounts[1] (id=KA-2) [account]: owner: missing" in err


def test_a_ledger_that_is_not_a_database_is_a_source_error(tmp_path: Path) -> None:
    (tmp_path / "kamcore-ledger.sqlite3").write_text("not a database\n" * 200, encoding="utf-8")
    with pytest.raises(SourceError, match="cannot read the ledger"):
        load_portfolio("synced:p.json")


def test_a_generated_portfolio_round_trips_through_the_cli(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    portfolio = decoded(account("KA-1", name="纷享贸易"), account("KA-2", name="Щедрик"))
    (tmp_path / "g.json").write_text(dumps_portfolio(portfolio), encoding="utf-8")
    run(capsys, "sync", "g.json")
    assert load_portfolio("synced:g.json").portfolio == portfolio


# -------------------------------------------------------------------------------------------------
# A real incremental source: the local Zoho
# -------------------------------------------------------------------------------------------------


def test_a_zoho_org_synced_twice_is_reviewed_offline(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    profile: str,
    zoho: LocalZoho,
    clock: ManualClock,
) -> None:
    org = populate(zoho, accounts=4, activities=8)
    code, out, _ = run(capsys, "sync", ZOHO_SOURCE)
    assert (code, out.splitlines()[1]) == (0, f"synced:{ZOHO_SOURCE}: 4 client files kept")

    later(clock)
    zoho.update("Accounts", org["Accounts"][0], Account_Name="Renamed GmbH")
    code, out, _ = run(capsys, "sync", ZOHO_SOURCE)
    assert out.startswith(f"{ZOHO_SOURCE}: 1 account loaded")
    assert out.splitlines()[1] == f"synced:{ZOHO_SOURCE}: 4 client files kept"

    as_of = ("--as-of", "2026-03-02T09:00:00+00:00")
    direct = run(capsys, "review", ZOHO_SOURCE, *as_of)
    monkeypatch.setenv(DISABLE_ENV, "zoho")  # no Zoho plugin, so no network
    assert run(capsys, "review", f"synced:{ZOHO_SOURCE}", *as_of) == direct
    names = {c.account.name for c in load_portfolio(f"synced:{ZOHO_SOURCE}").portfolio}
    assert "Renamed GmbH" in names
