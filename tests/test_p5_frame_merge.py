"""The first read of a merged agenda: the kept findings copied in slices, the others placed.

``Agenda.replace_accounts`` leaves the ordered tuples until they are read; then
``agenda._merged`` drops the findings of the replaced accounts and places their
new ones by binary search (narrowed by a sample of the due times first),
galloping over the few findings that share a due time. These properties hold it
to the definition: one sort of what is kept and what is added, and one binary
search by the full order for each place.
"""

from __future__ import annotations

import bisect
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from kamcore.review import Finding
from kamcore.review.agenda import _DUE, _due_end, _merged, _order, _Placer
from principle_support import T0
from strategies import fast
from test_incremental import base_agenda, changed_portfolio, full


@st.composite
def agenda_findings(draw: st.DrawFn, account: str) -> list[Finding]:
    """Findings on *account*, due at a few moments (so many share one) or never."""
    dues = st.one_of(st.none(), st.integers(0, 6).map(lambda day: T0 + timedelta(days=day)))
    return [
        Finding(
            account_id=account,
            owner="am",
            principle="care",
            code=draw(st.sampled_from(["a", "b"])),
            severity=draw(st.sampled_from(["info", "warning", "violation"])),
            evidence=(str(index),),
            action="call",
            due=draw(dues),
        )
        for index in range(draw(st.integers(0, 8)))
    ]


@st.composite
def merges(draw: st.DrawFn) -> tuple[list[Finding], list[Finding], list[Finding]]:
    """An agenda's findings in agenda order, some of them dropped, and new ones added."""
    accounts = [f"A{index}" for index in range(draw(st.integers(1, 6)))]
    previous = sorted(
        (f for account in accounts for f in draw(agenda_findings(account))), key=_order
    )
    replaced = draw(st.sets(st.sampled_from(accounts)))
    dropped = [f for f in previous if f.account_id in replaced]
    added = [f for account in replaced for f in draw(agenda_findings(account + "'"))]
    return previous, dropped, sorted(added, key=_order)


@fast(100)
@given(case=merges())
def test_a_merge_is_one_sort_of_what_is_kept_and_what_is_added(
    case: tuple[list[Finding], list[Finding], list[Finding]],
) -> None:
    previous, dropped, added = case
    gone = {id(f) for f in dropped}
    expected = sorted([f for f in previous if id(f) not in gone] + added, key=_order)
    merged = _merged(tuple(previous), reversed(dropped), added)
    assert isinstance(merged, tuple)
    assert [id(f) for f in merged] == [id(f) for f in expected]


@fast(100)
@given(case=merges(), every=st.integers(1, 5), data=st.data())
def test_a_place_is_where_a_binary_search_by_the_full_order_puts_it(
    case: tuple[list[Finding], list[Finding], list[Finding]], every: int, data: st.DataObject
) -> None:
    previous, dropped, added = case
    placer = _Placer(tuple(previous), every)
    for finding in dropped:
        assert previous[placer.position(finding)] is finding  # found where it is
    for finding in dropped + added:
        start = data.draw(st.integers(0, len(previous)))
        expected = bisect.bisect_left(previous, _order(finding), lo=start, key=_order)
        assert placer.position(finding, start) == expected


@fast(100)
@given(
    days=st.lists(st.integers(0, 4), max_size=40).map(sorted),
    day=st.integers(0, 4),
    data=st.data(),
)
def test_the_end_of_a_due_time_is_where_a_binary_search_puts_it(
    days: list[int], day: int, data: st.DataObject
) -> None:
    findings = [
        Finding(
            account_id="A",
            owner="am",
            principle="care",
            code="c",
            severity="info",
            evidence=(str(index),),
            action="call",
            due=T0 + timedelta(days=d),
        )
        for index, d in enumerate(days)
    ]
    stop = data.draw(st.integers(0, len(findings)))
    due: datetime = T0 + timedelta(days=day)
    start = bisect.bisect_left(findings, due, hi=stop, key=_DUE)
    assert _due_end(findings, due, start, stop) == bisect.bisect_right(
        findings, due, lo=start, hi=stop, key=_DUE
    )


def test_a_merged_agenda_reads_as_the_full_review_of_the_changed_portfolio() -> None:
    # Two merges in a chain, read only at the end: both sets of accounts are placed at
    # once. The second portfolio has the accounts the first changed as they were.
    first, first_ids = changed_portfolio({0, 3, 11, 20}, set(), 0, variant=11)
    second, second_ids = changed_portfolio({3, 7, 25}, {9}, 2, variant=12)
    merged = base_agenda().replace_accounts(full(first, accounts=first_ids), first_ids)
    touched = first_ids | second_ids
    reviewed = full(second, accounts=touched & second.files.keys())
    merged = merged.replace_accounts(reviewed, touched)
    expected = full(second)
    assert merged.findings == expected.findings
    assert merged.snoozed == expected.snoozed
    assert merged.acknowledged == expected.acknowledged
    assert merged == expected
