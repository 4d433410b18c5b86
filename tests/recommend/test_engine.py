"""The sparse ranking the training job uses against scoring every item (small data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from livecommerce.bench.recommend import generate
from livecommerce.recommend import engine
from livecommerce.recommend.engine import Params, Recommender
from livecommerce.recommend.evaluate import load, split
from livecommerce.recommend.service import shelf_order


@pytest.mark.parametrize(
    "params", [Params(), Params(half_life_events=1.0, recency_w=(0.5, 0.5))], ids=str
)
@pytest.mark.parametrize("explore", [False, True])
def test_ranking_over_candidates_equals_scoring_every_item(
    tmp_path: Path, params: Params, explore: bool
) -> None:
    generate(tmp_path / "ub.csv", 3_000, 150, 2_000)
    train, _targets = split(load(tmp_path / "ub.csv").data)
    recommender = Recommender(train, params)
    users = np.arange(train.n_users)
    dense = [recommender.dense_recommend_items(int(u), 30, explore) for u in users]
    # With every category's best items among the candidates, the ranking is the dense one,
    # scores and ties alike; users are ranked in chunks of any size.
    everything = train.n_categories
    assert recommender.rank_items(users, 30, explore, top_categories=everything) == dense
    assert [
        row
        for start in range(0, len(users), 7)
        for row in recommender.rank_items(users[start : start + 7], 30, explore, everything)
    ] == dense
    # What the training job uses: candidates from the strongest categories only; every list
    # is full, and one user's ranking is that user's row of the chunk's.
    lists = recommender.rank_items(users, 30, explore)
    assert all(len(ranked) == 30 for ranked in lists)
    if explore:
        assert recommender.recommend_items(3, 30, explore) == lists[3]
    else:  # a viewer's list keeps places for discoveries
        assert recommender.recommend_items(3, 30) == recommender.blend_items(users, 30)[3]


def test_a_viewers_list_keeps_the_last_places_of_each_block_for_new_items(
    tmp_path: Path,
) -> None:
    generate(tmp_path / "ub.csv", 3_000, 150, 2_000)
    train, _targets = split(load(tmp_path / "ub.csv").data)
    recommender = Recommender(train)
    assert recommender.params.explore_slots == 2
    users = np.arange(train.n_users)
    known = recommender.rank_items(users, 40)
    fresh = recommender.rank_items(users, 6, explore=True)
    blended = recommender.blend_items(users, 25)
    for user, row in enumerate(blended):
        seen = set(recommender.items.counts.getrow(user).indices.tolist())
        assert len(row) == 25
        assert len(set(row)) == 25
        # Places 9-10 and 19-20 are the user's best new items, in order; place 25 is in
        # the third block's first eight, so the third new item is not shown.
        assert [row[8], row[9], row[18], row[19]] == fresh[user][:4]
        assert not {row[8], row[9], row[18], row[19]} & seen
        others = [item for item in known[user] if item not in set(fresh[user])]
        assert [row[p] for p in (*range(8), *range(10, 18), *range(20, 25))] == others[:21]
    # Without discovery places the list is the plain ranking.
    plain = Recommender(train, Params(explore_slots=0))
    assert plain.blend_items(users, 25) == plain.rank_items(users, 25)


def test_interleaving_fills_from_either_source_when_the_other_runs_out() -> None:
    assert engine.interleave([1, 2, 3], [7, 8, 9], 10, 2) == [1, 2, 3, 7, 8, 9]
    assert engine.interleave([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 20], 10, 2) == [
        2,
        3,
        4,
        5,
        6,
        7,
        8,
        9,
        1,
        20,
    ]
    assert engine.interleave(list(range(20)), [], 12, 3) == list(range(12))
    assert engine.interleave(list(range(1, 20)), [50, 51, 52], 12, 3) == [
        *range(1, 8),
        50,
        51,
        52,
        8,
        9,
    ]


def test_audiences_in_ranges_equal_cutting_every_item_at_once(tmp_path: Path) -> None:
    generate(tmp_path / "ub.csv", 3_000, 150, 2_000)
    data = load(tmp_path / "ub.csv").data
    recommender = Recommender(data)
    items = recommender.items
    users = np.arange(data.n_users)
    interest = (
        items.personal[users] + 0.5 * items.knn_rows(users) + 0.5 * items.sequence_rows(users)
    ).toarray()
    # Each user competes for their 5 strongest items (ties to the lower item); each item
    # keeps its 4 best users (ties to the lower user).
    given: dict[int, list[tuple[float, int]]] = {}
    for user, row in enumerate(interest):
        strongest = sorted((-row[item], item) for item in np.flatnonzero(row))[:5]
        for score, item in strongest:
            given.setdefault(int(item), []).append((score, user))
    expected = [
        (item, [user for _score, user in sorted(given[item])[:4]]) for item in sorted(given)
    ]

    def audiences(**options: int) -> list[tuple[int, list[int]]]:
        ranges = recommender.audiences(4, per_user=5, **options)
        return [entry for found in ranges for entry in found]

    assert audiences() == expected
    # Scored 7 users at a time, each range of items cut whenever it holds a few entries.
    assert audiences(chunk=7, held_entries=50) == expected


def test_similarity_in_blocks_of_any_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generate(tmp_path / "ub.csv", 3_000, 150, 2_000)
    data = load(tmp_path / "ub.csv").data
    whole = Recommender(data)
    monkeypatch.setattr(engine, "SIMILARITY_PAIRS", 400)
    blocks = Recommender(data)
    assert (whole.items.similarity != blocks.items.similarity).nnz == 0
    assert whole.items.similarity.nnz > 0
    every = blocks.all_similar_items(30)
    assert every == [whole.similar_items(item, 30) for item in range(data.n_items)]
    assert any(every)


def test_the_shelf_keeps_the_trained_lists_discovery_places() -> None:
    listed = [f"p{n}" for n in range(12)]
    tea = {"p10", "p11"}  # far down the list, but tea is the viewer's interest now

    def category(product_id: str) -> str:
        return "tea" if product_id in tea else "other"

    # p8 and p9 were the list's discovery places (new to the viewer): they stay in places
    # 9-10; everything else is ordered by place in the list plus its category's share.
    assert shelf_order(listed, ["s1", "p3"], category, {"tea": 0.9}) == [
        *("p0", "p10", "p11", "p1", "p2", "p3", "p4", "p5"),
        *("p8", "p9"),
        *("p6", "p7", "s1"),
    ]
    assert shelf_order(listed, ["s1", "p3"], category, {"tea": 0.9}, slots=0) == [
        *("p0", "p10", "p11", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "s1"),
    ]
    # A viewer with no list: the shared candidates in their order.
    assert shelf_order([], ["s1", "s2"], category, {}) == ["s1", "s2"]
