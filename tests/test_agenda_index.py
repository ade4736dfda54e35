"""The agenda's findings by account: merges and look-ups that read only the accounts concerned.

``review()`` and ``merge_agendas`` hand an agenda its findings grouped by
account (and a pickled agenda keeps them); an agenda built any other way (by
hand, ``attrs.evolve``) builds them on first use. Either way a merge or
``for_account`` must say what a pass over every finding says.
"""

from __future__ import annotations

import pickle

import attrs

from kamcore.review import Agenda
from kamcore.review.shard import merge_agendas, split_portfolio
from test_incremental import base_agenda, base_files, base_portfolio, changed_portfolio, full


def _scan(agenda: Agenda, account_id: str) -> tuple[object, ...]:
    return tuple(f for f in agenda.findings if f.account_id == account_id)


def test_for_account_equals_a_scan_of_the_agenda() -> None:
    agenda = base_agenda()
    rebuilt = Agenda(agenda.as_of, agenda.findings, agenda.snoozed, agenda.acknowledged)
    for client in base_files():
        assert agenda.for_account(client.id) == _scan(agenda, client.id)
        assert rebuilt.for_account(client.id) == _scan(agenda, client.id)
    assert agenda.for_account("NOPE") == ()
    assert any(agenda.for_account(client.id) for client in base_files())


def test_merges_chain_and_agree_however_the_agenda_was_built() -> None:
    first, first_ids = changed_portfolio({1, 2, 8}, set(), 0, variant=3)
    second, second_ids = changed_portfolio({2, 5, 17}, {4}, 1, variant=7)
    base = base_agenda()
    # Evolved and hand-built agendas have no groups until first use.
    starts = [
        base,
        attrs.evolve(base),
        pickle.loads(pickle.dumps(base)),
        Agenda(base.as_of, base.findings, base.snoozed, base.acknowledged, dict(base.health)),
    ]
    once = full(first)
    twice = full(second)
    for start in starts:
        merged = start.replace_accounts(full(first, accounts=first_ids), first_ids)
        assert merged.as_dict() == once.as_dict()
        touched = (first_ids | second_ids) & (first.files.keys() | second.files.keys())
        again = merged.replace_accounts(
            full(second, accounts=touched & second.files.keys()), touched
        )
        assert again.as_dict() == twice.as_dict()
        for client in second:
            assert again.for_account(client.id) == _scan(twice, client.id)


def test_an_agenda_merged_from_shards_takes_incremental_merges() -> None:
    parts = [full(part) for part in split_portfolio(base_portfolio(), 3)]
    merged = merge_agendas(parts)
    changed, ids = changed_portfolio({0, 13, 29}, set(), 0, variant=11)
    again = merged.replace_accounts(full(changed, accounts=ids), ids)
    assert again.as_dict() == full(changed).as_dict()
    for client in changed:
        assert again.for_account(client.id) == _scan(again, client.id)
