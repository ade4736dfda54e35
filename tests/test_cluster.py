"""Review is shardable: every input pickles, and a Dask cluster gives the identical agenda."""

from __future__ import annotations

import pickle
from functools import cache

import pytest

from kamcore import SAMPLE_PORTFOLIO, load_portfolio
from kamcore.classification import load_classifier
from kamcore.model import Portfolio
from kamcore.review import Agenda, installed_principles, review
from kamcore.review.shard import merge_agendas, review_shard, split_portfolio
from kamcore.synthetic import (
    SyntheticSpec,
    synthetic_client_file,
    synthetic_reports,
    synthetic_staff,
)

SPEC = SyntheticSpec(accounts=40, events_per_account=15, seed=9)


@cache
def portfolio() -> Portfolio:
    return Portfolio(
        files=[synthetic_client_file(SPEC, index) for index in range(SPEC.accounts)],
        staff=synthetic_staff(SPEC),
        reports=synthetic_reports(SPEC),
        exported_at=SPEC.exported_at,
    )


@cache
def full_agenda() -> Agenda:
    return review(portfolio(), SPEC.exported_at)


def round_trip(value: object) -> object:
    return pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def test_review_inputs_and_agenda_survive_a_real_pickle_round_trip() -> None:
    sample = load_portfolio(SAMPLE_PORTFOLIO).portfolio
    for source in (portfolio(), sample):
        copy = round_trip(source)
        assert copy == source
        assert isinstance(copy, Portfolio)
        principles = round_trip(installed_principles())
        rules = round_trip(load_classifier().rules)
        assert rules == load_classifier().rules
        agenda = review(copy, copy.exported_at, principles=principles)  # type: ignore[arg-type]
        expected = review(source, source.exported_at)
        assert agenda == expected
        assert round_trip(expected) == expected


def test_split_keeps_every_account_once_in_order() -> None:
    for parts, count in ((1, 1), (3, 3), (7, 7), (40, 40), (100, 40)):
        shards = split_portfolio(portfolio(), parts)
        assert len(shards) == count
        assert [c.id for shard in shards for c in shard] == [c.id for c in portfolio()]
        covered = {a for shard in shards for report in shard.reports for a in report.account_ids}
        assert covered == {a for report in portfolio().reports for a in report.account_ids}


@pytest.mark.parametrize("parts", [1, 3, 7])
def test_shards_merge_into_the_full_agenda(parts: int) -> None:
    shards = split_portfolio(portfolio(), parts)
    assert [c.id for shard in shards for c in shard] == [c.id for c in portfolio()]
    merged = merge_agendas([review_shard(round_trip(s), SPEC.exported_at) for s in shards])  # type: ignore[arg-type]
    assert merged == full_agenda()
    assert merged.as_dict() == full_agenda().as_dict()


def test_split_and_merge_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        split_portfolio(portfolio(), 0)
    with pytest.raises(ValueError, match="no agendas"):
        merge_agendas([])
    with pytest.raises(ValueError, match="in two agendas"):
        merge_agendas([full_agenda(), full_agenda()])


def test_review_over_a_dask_local_cluster_gives_the_identical_agenda() -> None:
    distributed = pytest.importorskip("distributed")
    shards = split_portfolio(portfolio(), 4)
    with (
        distributed.LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            dashboard_address=None,
            host="127.0.0.1",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        futures = client.map(review_shard, shards, as_of=SPEC.exported_at, pure=False)
        agendas = client.gather(futures)
    merged = merge_agendas(agendas)
    assert merged == full_agenda()
    assert merged.as_dict() == full_agenda().as_dict()
