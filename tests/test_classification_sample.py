"""The default rule set on the sample portfolio is what docs/classification.md says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import kamcore
from kamcore.classification import Classification, load_classifier

DOC = Path(__file__).parent.parent / "docs" / "classification.md"
ROW = re.compile(r"^\| (KA-\d+) \| (.+?) \| (\w+) \| (yes|no) \| ([\d.]+) \| (.*?) \|$", re.M)


def computed() -> dict[str, Classification]:
    portfolio = kamcore.load_portfolio(kamcore.SAMPLE_PORTFOLIO).portfolio
    assert portfolio.exported_at is not None
    return load_classifier().classify_portfolio(portfolio, portfolio.exported_at)


RESULTS = computed()
DOCUMENTED = {m[0]: m[1:] for m in ROW.findall(DOC.read_text(encoding="utf-8"))}


def test_every_account_is_documented() -> None:
    assert set(DOCUMENTED) == set(RESULTS)


@pytest.mark.parametrize("account_id", sorted(RESULTS))
def test_documented_tier_score_and_reasons(account_id: str) -> None:
    recorded, tier, key, score, criteria = DOCUMENTED[account_id]
    result = RESULTS[account_id]
    assert (recorded, tier, key) == (
        result.recorded_tier or "—",
        result.tier,
        "yes" if result.key else "no",
    )
    assert float(score) == pytest.approx(result.score)
    matched = ", ".join(f"{c.criterion} {c.score:+g}" for c in result.contributions if c.matched)
    assert criteria == matched


def test_the_sample_has_deliberate_reclassifications() -> None:
    changed = sorted(a for a, r in RESULTS.items() if r.changed)
    assert changed == ["KA-008", "KA-012", "KA-017", "KA-018", "KA-040"]
    assert {RESULTS[a].tier for a in RESULTS} == {"strategic", "key", "vip", "regular"}
