"""Short videos as rows of the ranking's catalog: the pools judge them on their viewers and
promote on the completion rate; sessions rank exactly as they did without them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from livecommerce.traffic import ranking
from livecommerce.traffic.reasons import reason_text
from livecommerce.traffic.video_candidates import merged


def _catalog(
    ids: list[str], rooms: list[str], tags: list[list[str]], **filled: Any
) -> ranking.Catalog:
    columns = ranking.empty_columns(len(ids))
    vocabulary: list[str] = []
    for row, names in enumerate(tags):
        for position, name in enumerate(names):
            if name not in vocabulary:
                vocabulary.append(name)
            columns["tags"][row, position] = vocabulary.index(name)
    for name, values in filled.items():
        columns[name] = np.asarray(values, dtype=columns[name].dtype)
    return ranking.Catalog(
        session_ids=ids, room_ids=rooms, vocabulary=vocabulary, window_total=0.0, **columns
    )


def _sessions() -> ranking.Catalog:
    return _catalog(
        ["s1", "s2"],
        ["r1", "r2"],
        [["茶叶"], ["美妆"]],
        online=[120, 30],
        exposures=[400, 250],
        enters=[120, 20],
        watch_s=[30_000, 1_000],
        likes=[20, 1],
        age_s=[7200, 7200],
    )


def _videos() -> ranking.Catalog:
    # v1: 60 % of its 250 viewers watched to the end; v2: 10 %; v3: brand new.
    return _catalog(
        ["v1", "v2", "v3"],
        ["r1", "r3", "r4"],
        [["茶叶", "紫砂"], ["数码"], []],
        kind=[ranking.KIND_VIDEO] * 3,
        exposures=[300, 300, 0],
        enters=[250, 250, 0],
        completions=[150, 25, 0],
        age_s=[86_400, 86_400, 60],
    )


CONFIG = ranking.PolicyConfig(
    weights={"pools": 1.0, "tags": 0.0, "private": 0.0, "popular": 0.0}, cold_start_share=0.0
)


def test_the_pools_promote_a_video_on_its_completion_rate() -> None:
    catalog = merged(_sessions(), _videos())
    prepared = ranking.prepare(catalog, CONFIG)
    assert prepared.tier.tolist()[2:] == [2, 1, 1]
    assert prepared.promoted_by[2] == ("completion_rate", pytest.approx(0.6), 0.4)
    assert prepared.promoted_by[3] is None
    picks = ranking.rank(prepared, ranking.Viewer(), 5)
    order = [catalog.session_ids[pick.row] for pick in picks]
    assert order.index("v1") < order.index("v2")
    reasons = {catalog.session_ids[p.row]: p.reasons for p in picks}
    promoted = reasons["v1"][0]
    assert promoted.code == "promoted"
    assert reason_text(promoted.code, promoted.params, "zh") == (
        "晋级第 2 级流量池：完播率 60% ≥ 40%"
    )
    # a new video is a cold start like a new session, with its own reason
    cold = ranking.prepare(catalog, ranking.PolicyConfig(cold_start_share=0.5))
    assert cold.cold.tolist()[2:] == [False, False, True]
    first = ranking.rank(cold, ranking.Viewer(), 2)
    new = [p for p in first if catalog.session_ids[p.row] == "v3"]
    assert new
    assert new[0].reasons[0].code == "new_video"


def test_sessions_rank_as_they_did_without_videos() -> None:
    alone = ranking.prepare(_sessions(), ranking.PolicyConfig())
    together = ranking.prepare(merged(_sessions(), _videos()), ranking.PolicyConfig())
    for name in ("pools", "quality", "popular"):
        assert getattr(together, name)[:2].tolist() == getattr(alone, name).tolist()
    assert together.tier[:2].tolist() == alone.tier.tolist()
    # completion is no metric of a session; the enter rate and watch time none of a video
    applies = ranking.metric_applies("completion_rate", together.catalog.kind)
    assert applies.tolist() == [False, False, True, True, True]
    assert ranking.metric_applies("avg_watch_s", together.catalog.kind).tolist()[2:] == [False] * 3


def test_merged_catalogs_share_one_tag_vocabulary() -> None:
    catalog = merged(_sessions(), _videos())
    assert len(catalog) == 5
    assert catalog.vocabulary == ["茶叶", "美妆", "紫砂", "数码"]
    assert catalog.tags[2, :2].tolist() == [0, 2]  # v1: 茶叶 (the sessions' index), 紫砂
    assert catalog.tags[4].tolist() == [-1] * ranking.MAX_TAGS
    assert catalog.room_rows["r1"] == [0, 2]
    prepared = ranking.prepare(
        catalog,
        ranking.PolicyConfig(weights={"tags": 1.0}, cold_start_share=0.0),
    )
    picks = ranking.rank(prepared, ranking.Viewer(interests={"茶叶": 1.0}), 2)
    assert sorted(catalog.session_ids[p.row] for p in picks) == ["s1", "v1"]
    assert merged(catalog, _catalog([], [], [])) is catalog
