"""``kamcore classify`` and ``kamcore rules check``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from kamcore import Account, ClientFile, Portfolio, Transaction
from kamcore.classification import DEFAULT_RULES
from kamcore.cli import main
from kamcore.fileformat import dumps_portfolio

EXPORTED_AT = datetime(2026, 11, 20, 18, tzinfo=UTC)


def purchases(currency: str, amount: str, months: int) -> list[Transaction]:
    return [
        Transaction(
            id=f"T-{i}",
            at=EXPORTED_AT - timedelta(days=30 * i + 1),
            product="Pumps",
            amount=Decimal(amount),
            currency=currency,
        )
        for i in range(months)
    ]


@pytest.fixture
def source(tmp_path: Path) -> str:
    strategic = ClientFile(
        account=Account(
            id="A-1",
            name="华信科技有限公司",
            owner="li",
            tier="regular",
            facts={"strategic_list": True, "brand_recognition": "high", "annual_potential": 600000},
        ),
        transactions=purchases("CNY", "160000", 14),
    )
    small = ClientFile(account=Account(id="A-2", name="Corner Shop", owner="tom", tier="regular"))
    path = tmp_path / "portfolio.json"
    path.write_text(
        dumps_portfolio(Portfolio(files=[strategic, small], exported_at=EXPORTED_AT)),
        encoding="utf-8",
    )
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_classify_table_shows_recorded_and_computed_tiers(
    capsys: pytest.CaptureFixture[str], source: str
) -> None:
    code, out, err = run(capsys, "classify", source)
    assert (code, err) == (0, "")
    header, first, second = out.splitlines()
    assert header.split() == ["ID", "NAME", "OWNER", "RECORDED", "TIER", "KEY", "SCORE"]
    assert first.split()[:6] == ["A-1", "华信科技有限公司", "li", "regular", "strategic", "yes"]
    assert first.endswith("changed")
    assert second.split()[:6] == ["A-2", "Corner", "Shop", "tom", "regular", "regular"]
    assert not second.endswith("changed")


def test_classify_json_carries_the_explanation(
    capsys: pytest.CaptureFixture[str], source: str
) -> None:
    code, out, _ = run(capsys, "classify", source, "--format", "json")
    results = {r["account_id"]: r for r in json.loads(out)}
    assert code == 0
    assert results["A-1"]["tier"] == "strategic"
    contributions = results["A-1"]["contributions"]
    assert sum(c["score"] for c in contributions) == pytest.approx(results["A-1"]["score"])
    brand = next(c for c in contributions if c["criterion"] == "well_known_brand")
    assert brand["evidence"] == {"fact.brand_recognition": "high"}


def test_classify_explain_prints_every_criterion(
    capsys: pytest.CaptureFixture[str], source: str
) -> None:
    code, out, _ = run(capsys, "classify", source, "--explain")
    assert code == 0
    assert "A-1: tier strategic (key client)" in out
    assert "On the strategic list" in out
    assert "A-2: tier regular" in out


def test_classify_as_of_an_earlier_date_sees_fewer_purchases(
    capsys: pytest.CaptureFixture[str], source: str
) -> None:
    _, now, _ = run(capsys, "classify", source, "--format", "json")
    _, before, _ = run(capsys, "classify", source, "--format", "json", "--as-of", "2025-06-01")
    assert json.loads(before)[0]["score"] < json.loads(now)[0]["score"]


def test_classify_with_a_rule_set_that_lacks_a_rate_names_the_transaction(
    capsys: pytest.CaptureFixture[str], source: str, tmp_path: Path
) -> None:
    rules = tmp_path / "eur-only.toml"
    text = DEFAULT_RULES.read_text(encoding="utf-8").replace("CNY = 7.8\n", "")
    rules.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "classify", source, "--rules", str(rules))
    assert (code, out) == (1, "")
    assert err.startswith("kamcore: error: account A-1, transaction T-")
    assert "no rate from CNY to EUR" in err
    assert "Traceback" not in err


def test_rules_check_summarises_the_default_rule_set(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "rules", "check")
    assert (code, err) == (0, "")
    assert out.startswith(f"{DEFAULT_RULES}: ok — rule set 'kamcore default'")
    assert "strategic_list" in out
    assert "strategic  yes" in out


def test_rules_check_lists_every_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rules = tmp_path / "bad.toml"
    rules.write_text(
        'name = "bad"\n[currency]\nbase = "euro"\n'
        '[[criteria]]\nid = "x"\nwhen = { field = "fact.a", op = "=>", value = 1 }\n',
        encoding="utf-8",
    )
    code, out, err = run(capsys, "rules", "check", str(rules))
    assert (code, out) == (1, "")
    lines = err.splitlines()
    assert lines[0] == f"kamcore: error: {rules}: 3 problems"
    assert "  currency.base: 'euro' is not an ISO 4217 code such as EUR" in lines
    assert any(
        line.startswith("  criteria[0] (id=x).when.op: '=>' is not an operator") for line in lines
    )
    assert "  tiers: a rule set needs at least one tier" in lines


def test_rules_check_of_a_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "rules", "check", str(tmp_path / "nope.toml"))
    assert code == 1
    assert err.startswith("kamcore: error: ")
    assert "cannot read" in err
