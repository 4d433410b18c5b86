"""The sparse ranking the training job uses against scoring every item (small data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from livecommerce.bench.recommend import generate
from livecommerce.recommend.engine import Params, Recommender
from livecommerce.recommend.evaluate import load, split


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
    assert recommender.recommend_items(3, 30, explore) == lists[3]
