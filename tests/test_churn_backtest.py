"""Backtest of the churn warning on the sample portfolio (figures quoted in docs/review.md).

An account has churned when it has bought nothing for 120 days by the export;
it counts as lost 120 days after its last purchase. A weekly review over the
year before the export records when each account was first warned.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import kamcore
from kamcore.classification import load_classifier
from kamcore.model import Portfolio
from kamcore.review import review
from kamcore.review.principles.churn import CHURN_WARNING

LOST_AFTER = timedelta(days=120)


def _backtest() -> tuple[Portfolio, dict[str, datetime], dict[str, datetime]]:
    portfolio = kamcore.load_portfolio(kamcore.SAMPLE_PORTFOLIO).portfolio
    end = portfolio.exported_at
    assert end is not None
    last_purchase = {
        client.id: max(t.at for t in client.transactions if t.amount > 0)
        for client in portfolio
        if any(t.amount > 0 for t in client.transactions)
    }
    lost = {a: at + LOST_AFTER for a, at in last_purchase.items() if end - at > LOST_AFTER}
    classifier = load_classifier()
    first_warned: dict[str, datetime] = {}
    moment = end - timedelta(days=364)
    while moment <= end:
        agenda = review(portfolio, moment, classifier=classifier, principles=[CHURN_WARNING])
        for finding in agenda.findings:
            first_warned.setdefault(finding.account_id, moment)
        moment += timedelta(days=7)
    return portfolio, lost, first_warned


PORTFOLIO, LOST, FIRST_WARNED = _backtest()


def test_the_sample_has_churned_accounts() -> None:
    assert sorted(LOST) == ["KA-032", "KA-045"]


def test_every_churned_account_was_warned_months_before_it_was_lost() -> None:
    lead_days = {a: (LOST[a] - FIRST_WARNED[a]).days for a in LOST if a in FIRST_WARNED}
    assert set(lead_days) == set(LOST), "every churned account is warned"
    assert lead_days == {"KA-032": 63, "KA-045": 147}


def test_no_account_that_stayed_was_warned() -> None:
    assert sorted(set(FIRST_WARNED) - set(LOST)) == []
    assert len(PORTFOLIO) == 45
