"""Incremental review: re-review only the changed accounts and merge into the previous agenda."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kamcore import UnknownAccountError
from kamcore.classification import load_classifier
from kamcore.model import ClientFile, Portfolio
from kamcore.review import Agenda, installed_principles, review
from kamcore.synthetic import SyntheticSpec, synthetic_client_file

SPEC = SyntheticSpec(accounts=30, events_per_account=15, seed=5)
AS_OF = SPEC.exported_at
# Reports cover every account but those at positions 4, 9, 14…: only those may leave.
REMOVABLE = tuple(range(4, SPEC.accounts, 5))


@cache
def base_files() -> tuple[ClientFile, ...]:
    return tuple(synthetic_client_file(SPEC, index) for index in range(SPEC.accounts))


@cache
def base_portfolio() -> Portfolio:
    from kamcore.synthetic import synthetic_reports, synthetic_staff

    return Portfolio(
        files=base_files(),
        staff=synthetic_staff(SPEC),
        reports=synthetic_reports(SPEC),
        exported_at=AS_OF,
    )


def full(portfolio: Portfolio, **options: object) -> Agenda:
    return review(
        portfolio,
        AS_OF,
        classifier=load_classifier(),
        principles=installed_principles(),
        **options,  # type: ignore[arg-type]
    )


@cache
def base_agenda() -> Agenda:
    return full(base_portfolio())


def changed_portfolio(
    changed: set[int], removed: set[int], added: int, variant: int
) -> tuple[Portfolio, set[str]]:
    """The base portfolio with accounts changed, removed and added, and the ids touched."""
    base = base_portfolio()
    files = [
        synthetic_client_file(SPEC, index, variant=variant) if index in changed else client
        for index, client in enumerate(base_files())
        if index not in removed
    ]
    bigger = SyntheticSpec(accounts=SPEC.accounts + added, events_per_account=15, seed=5)
    files += [
        synthetic_client_file(bigger, index) for index in range(SPEC.accounts, bigger.accounts)
    ]
    touched = {base_files()[i].id for i in changed | removed} | {
        f.id for f in files[len(files) - added :]
    }
    portfolio = Portfolio(
        files=files, staff=base.staff, reports=base.reports, exported_at=base.exported_at
    )
    return portfolio, touched


@settings(max_examples=25, deadline=None)
@given(
    changed=st.sets(st.integers(0, SPEC.accounts - 1), max_size=6),
    removed=st.sets(st.sampled_from(REMOVABLE), max_size=2),
    added=st.integers(0, 2),
    variant=st.integers(1, 1000),
)
def test_incremental_equals_full_review(
    changed: set[int], removed: set[int], added: int, variant: int
) -> None:
    portfolio, touched = changed_portfolio(changed, removed, added, variant)
    reviewed = full(portfolio, accounts=touched & portfolio.files.keys())
    incremental = base_agenda().replace_accounts(reviewed, touched)
    expected = full(portfolio)
    assert incremental == expected
    assert incremental.as_dict() == expected.as_dict()  # the same order too
    assert list(incremental.health) == list(expected.health)


def test_partial_review_is_the_full_review_restricted() -> None:
    ids = {base_files()[i].id for i in (0, 7, 21)}
    part = full(base_portfolio(), accounts=sorted(ids, reverse=True))
    whole = base_agenda()
    assert set(part.health) == ids
    assert list(part.health) == [a for a in whole.health if a in ids]  # portfolio order
    assert part.findings == tuple(f for f in whole.findings if f.account_id in ids)
    assert part.snoozed == tuple(f for f in whole.snoozed if f.account_id in ids)
    assert part.acknowledged == tuple(f for f in whole.acknowledged if f.account_id in ids)
    assert part.findings, "the check must have something to compare"


def test_nothing_changed_gives_the_same_agenda() -> None:
    ids = {base_files()[3].id}
    merged = base_agenda().replace_accounts(full(base_portfolio(), accounts=ids), ids)
    assert merged == base_agenda()


def test_unknown_account_is_refused() -> None:
    with pytest.raises(UnknownAccountError, match="NOPE"):
        full(base_portfolio(), accounts=["NOPE"])


def test_merging_another_moment_is_refused() -> None:
    other = review(base_portfolio(), AS_OF - timedelta(days=1), accounts=[base_files()[0].id])
    with pytest.raises(ValueError, match="cannot merge a review as of"):
        base_agenda().replace_accounts(other, [base_files()[0].id])
