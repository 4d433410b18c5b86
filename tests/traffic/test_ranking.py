"""Each policy on small worlds with exact orders; promotion exactly at the threshold; the
exposure cap under a burst; cold start; pins and demotions. Pure code, no database."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from livecommerce.traffic import ranking
from livecommerce.traffic.ranking import PolicyConfig, TierRule, Viewer

TIERS = (TierRule(sample=100, size=1000), TierRule(sample=1000, size=10_000), TierRule(1, 10**9))


def world(rows: list[dict[str, Any]], *, window_total: float = 0.0) -> ranking.Catalog:
    """A catalog of live sessions s0, s1, … (room r0, r1, … unless given)."""
    n = len(rows)
    columns = ranking.empty_columns(n)
    vocabulary: list[str] = []
    for index, row in enumerate(rows):
        columns["age_s"][index] = 1e6  # old sessions unless said otherwise
        for name, value in row.items():
            if name == "tags":
                for position, tag in enumerate(value):
                    if tag not in vocabulary:
                        vocabulary.append(tag)
                    columns["tags"][index, position] = vocabulary.index(tag)
            elif name not in ("room",):
                columns.setdefault(name, np.zeros(n))[index] = value
    return ranking.Catalog(
        session_ids=[f"s{i}" for i in range(n)],
        room_ids=[row.get("room", f"r{i}") for i, row in enumerate(rows)],
        vocabulary=vocabulary,
        window_total=window_total,
        **columns,
    )


def config(**weights: float) -> PolicyConfig:
    blend = {name: 0.0 for name in ranking.POLICIES} | weights
    return PolicyConfig(weights=blend, tiers=TIERS, cold_start_share=0.0, exposure_cap_share=0.0)


def order(catalog: ranking.Catalog, cfg: PolicyConfig, viewer: Viewer | None = None) -> list[str]:
    picks = ranking.rank(ranking.prepare(catalog, cfg), viewer or Viewer(), 10)
    return [catalog.session_ids[pick.row] for pick in picks]


def test_popular_orders_by_online_count() -> None:
    catalog = world([{"online": 5}, {"online": 50}, {"online": 0}, {"online": 20}])
    assert order(catalog, config(popular=1)) == ["s1", "s3", "s0", "s2"]
    picks = ranking.rank(ranking.prepare(catalog, config(popular=1)), Viewer(), 1)
    assert picks[0].reasons == (ranking.Reason("popular", {"online": 50}),)


def test_pools_rank_by_tier_then_by_rates() -> None:
    catalog = world(
        [
            # tier 1, weak rates
            {"exposures": 50, "enters": 5, "likes": 0},
            # tier 2: promoted by its like rate (20 % ≥ 10 %) after 100 exposures
            {"exposures": 150, "enters": 20, "likes": 4},
            # tier 1, good rates but not yet judged (fewer than 100 exposures)
            {"exposures": 90, "enters": 30, "likes": 9},
            # tier 1, full pool and never promoted: held back
            {"exposures": 1200, "enters": 12, "likes": 0},
        ]
    )
    prepared = ranking.prepare(catalog, config(pools=1))
    assert prepared.tier.tolist() == [1, 2, 1, 1]
    assert order(catalog, config(pools=1)) == ["s1", "s2", "s0", "s3"]
    best = ranking.rank(prepared, Viewer(), 1)[0]
    assert best.reasons[0].code == "promoted"
    assert best.reasons[0].params == {
        "tier": 2,
        "metric": "like_rate",
        "value": 0.2,
        "threshold": 0.10,
    }


def test_a_session_is_promoted_exactly_when_its_metric_reaches_the_threshold() -> None:
    cfg = config(pools=1)
    thresholds = {"like_rate": 0.10}
    cfg = PolicyConfig(weights=cfg.weights, tiers=TIERS, thresholds=thresholds)
    # 100 exposures (the sample), 100 entries: 9 likes is 9 %, 10 likes is 10 %.
    assert ranking.tier_of(100, {"like_rate": 0.09}, cfg) == (1, None)
    assert ranking.tier_of(100, {"like_rate": 0.10}, cfg) == (2, ("like_rate", 0.10, 0.10))
    assert ranking.tier_of(99, {"like_rate": 0.50}, cfg) == (1, None)
    below = world([{"exposures": 100, "enters": 100, "likes": 9}])
    at = world([{"exposures": 100, "enters": 100, "likes": 10}])
    assert ranking.prepare(below, cfg).tier.tolist() == [1]
    assert ranking.prepare(at, cfg).tier.tolist() == [2]
    # Tier 2 judges after its own sample (1,000 exposures).
    two = world([{"exposures": 999, "enters": 100, "likes": 50}])
    three = world([{"exposures": 1000, "enters": 100, "likes": 50}])
    assert ranking.prepare(two, cfg).tier.tolist() == [2]
    assert ranking.prepare(three, cfg).tier.tolist() == [3]


def test_pool_scale_shrinks_samples_and_sizes() -> None:
    cfg = PolicyConfig(tiers=TIERS, pool_scale=0.1)
    assert cfg.tier_rules()[:2] == [TierRule(10, 100), TierRule(100, 1000)]


def test_tags_put_followed_hosts_first_then_interest_fit() -> None:
    catalog = world(
        [
            {"tags": ["美妆"]},
            {"tags": ["茶叶", "食品"]},
            {"tags": ["数码"]},
            {"tags": ["茶叶"]},
            {"tags": ["服饰"], "room": "followed"},
        ]
    )
    viewer = Viewer(followed_rooms=frozenset({"followed"}), interests={"茶叶": 1.0, "食品": 0.5})
    assert order(catalog, config(tags=1), viewer) == ["s4", "s1", "s3", "s0", "s2"]
    picks = ranking.rank(ranking.prepare(catalog, config(tags=1)), viewer, 2)
    assert picks[0].reasons == (ranking.Reason("followed_host"),)
    assert picks[1].reasons == (ranking.Reason("interest_match", {"tag": "茶叶"}),)


def test_private_shows_only_followed_fan_club_and_shared_rooms() -> None:
    catalog = world([{"online": 99}, {}, {}, {}], window_total=0)
    viewer = Viewer(
        followed_rooms=frozenset({"r3"}),
        fan_rooms=frozenset({"r1"}),
        shared_rooms=frozenset({"r2"}),
    )
    assert order(catalog, config(private=1), viewer) == ["s1", "s2", "s3"]
    assert order(catalog, config(private=1), Viewer()) == []
    picks = ranking.rank(ranking.prepare(catalog, config(private=1)), viewer, 3)
    assert [pick.reasons[0].code for pick in picks] == [
        "fan_club",
        "shared_with_you",
        "followed_host",
    ]


def test_a_blend_mixes_policies_by_weight() -> None:
    catalog = world([{"online": 100, "tags": ["数码"]}, {"online": 1, "tags": ["茶叶"]}])
    viewer = Viewer(interests={"茶叶": 1.0})
    assert order(catalog, config(popular=0.9, tags=0.1), viewer) == ["s0", "s1"]
    assert order(catalog, config(popular=0.1, tags=0.9), viewer) == ["s1", "s0"]


def test_the_exposure_cap_holds_back_a_room_under_a_burst() -> None:
    cfg = PolicyConfig(
        weights={"popular": 1.0},
        tiers=TIERS,
        cold_start_share=0.0,
        exposure_cap_share=0.25,
        exposure_cap_min_total=100,
    )
    rows: list[dict[str, Any]] = [{"online": 1000}, {"online": 10}, {"online": 5}, {"online": 1}]
    # A burst: the star room took 300 of the window's 400 exposures (75 % > 25 %).
    rows[0]["room_window_exposures"] = 300
    for row in rows[1:]:
        row["room_window_exposures"] = 33
    burst = world(rows, window_total=400)
    picks = ranking.rank(ranking.prepare(burst, cfg), Viewer(), 4)
    assert [burst.session_ids[p.row] for p in picks] == ["s1", "s2", "s3", "s0"]
    assert picks[-1].reasons[-1].code == "exposure_capped"
    # Serving page after page, the star is shown only while under its share.
    exposures = np.array([300.0, 33, 33, 34])
    for _ in range(150):
        catalog = world(
            [
                {"online": r["online"], "room_window_exposures": e}
                for r, e in zip(rows, exposures, strict=True)
            ],
            window_total=float(exposures.sum()),
        )
        (first,) = ranking.rank(ranking.prepare(catalog, cfg), Viewer(), 1)
        if first.row == 0:
            assert exposures[0] < 0.25 * exposures.sum()
        exposures[first.row] += 10
    assert exposures[0] / exposures.sum() <= 0.25 + 10 / exposures.sum()
    # Below the window's minimum the cap does not apply.
    quiet = world(rows, window_total=50)
    assert order(quiet, cfg) == ["s0", "s1", "s2", "s3"]


def test_new_sessions_get_their_cold_start_share_of_the_page() -> None:
    rows: list[dict[str, Any]] = [{"online": 100 - i, "exposures": 500} for i in range(8)]
    rows += [{"age_s": 60, "exposures": 3}, {"age_s": 120, "exposures": 0}]
    catalog = world(rows)
    cfg = PolicyConfig(
        weights={"popular": 1.0}, tiers=TIERS, cold_start_share=0.2, exposure_cap_share=0.0
    )
    picks = ranking.rank(ranking.prepare(catalog, cfg), Viewer(), 10)
    # Two of ten places, spread over the page, least exposed first.
    assert [catalog.session_ids[p.row] for p in picks] == [
        "s0",
        "s1",
        "s2",
        "s9",
        "s3",
        "s4",
        "s8",
        "s5",
        "s6",
        "s7",
    ]
    assert picks[3].reasons[0] == ranking.Reason("new_session", {"tier": 1})
    assert picks[3].policy == "cold_start"
    # Without tags in the blend, fitting the viewer does not move a new session forward
    # (the least exposed still first), though each pick says whether it fits.
    catalog = world([*rows[:8], {**rows[8], "tags": ["茶叶"]}, rows[9]])
    cfg = replace(cfg, cold_start_share=0.1)
    picks = ranking.rank(ranking.prepare(catalog, cfg), Viewer(interests={"茶叶": 1.0}), 10)
    assert [(catalog.session_ids[p.row], p.fits) for p in picks if p.policy == "cold_start"] == [
        ("s9", False)
    ]
    assert [catalog.session_ids[p.row] for p in picks if p.fits] == ["s8"]


def test_pins_come_first_and_demotions_fall_back() -> None:
    catalog = world(
        [{"online": 100, "demoted": True}, {"online": 50}, {"online": 1, "pinned": True}]
    )
    assert order(catalog, config(popular=1)) == ["s2", "s1", "s0"]


def test_excluded_rows_never_repeat_and_categories_filter() -> None:
    catalog = world([{"online": 3}, {"online": 2}, {"online": 1}])
    prepared = ranking.prepare(catalog, config(popular=1))
    picks = ranking.rank(prepared, Viewer(), 10, exclude=[0])
    assert [p.row for p in picks] == [1, 2]
    allowed = np.array([False, False, True])
    assert [p.row for p in ranking.rank(prepared, Viewer(), 10, allowed=allowed)] == [2]


def test_follow_order_lists_live_then_upcoming_then_replays() -> None:
    catalog = world(
        [
            {"kind": ranking.KIND_REPLAY, "room": "a"},
            {"kind": ranking.KIND_UPCOMING, "room": "a"},
            {"kind": ranking.KIND_LIVE, "room": "b", "online": 3},
            {"kind": ranking.KIND_LIVE, "room": "c", "online": 9},
            {"kind": ranking.KIND_UPCOMING, "room": "b"},
            {"kind": ranking.KIND_LIVE, "room": "z", "online": 99},
        ]
    )
    planned = [0.0, 200.0, 0.0, 0.0, 100.0, 0.0]
    ended = [50.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    picks = ranking.follow_order(catalog, {"a", "b", "c"}, planned, ended)
    assert [catalog.session_ids[p.row] for p in picks] == ["s3", "s2", "s4", "s1", "s0"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [([1, 1, 1, 1], 0.0), ([0, 0, 0, 4], 0.75), ([], 0.0)],
)
def test_gini(values: list[float], expected: float) -> None:
    assert ranking.gini(values) == pytest.approx(expected)


def test_top_share_and_spearman() -> None:
    assert ranking.top_share([5, 3, 2], 1) == pytest.approx(0.5)
    assert ranking.spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert ranking.spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert ranking.spearman([1, 2, 2, 3], [1, 2, 2, 3]) == pytest.approx(1.0)


def test_each_pool_has_its_own_bar() -> None:
    tiers = (TierRule(10, 100, bar=0.5), TierRule(100, 1000, bar=1.0), TierRule(1, 10**9))
    cfg = PolicyConfig(tiers=tiers, thresholds={"like_rate": 0.10})
    assert ranking.tier_of(10, {"like_rate": 0.05}, cfg) == (2, ("like_rate", 0.05, 0.05))
    assert ranking.tier_of(100, {"like_rate": 0.099}, cfg) == (2, ("like_rate", 0.099, 0.05))
    assert ranking.tier_of(100, {"like_rate": 0.10}, cfg) == (3, ("like_rate", 0.10, 0.10))


def test_evidence_shrinks_rates_measured_on_few_entries() -> None:
    catalog = world([{"exposures": 100, "enters": 10, "likes": 2}])
    cfg = PolicyConfig(thresholds={"like_rate": 0.10}, evidence=10.0)
    # (2 likes + 10 pseudo-entries at half the threshold) / (10 + 10) entries
    assert ranking.metric_rates(catalog, cfg)["like_rate"].tolist() == [pytest.approx(0.125)]
    assert ranking.metric_rates(catalog)["like_rate"].tolist() == [pytest.approx(0.2)]


def test_exploration_draws_pages_in_proportion_to_merit() -> None:
    catalog = world([{"online": 1000}, {"online": 100}, {"online": 10}, {"online": 1}])
    strict = PolicyConfig(weights={"popular": 1.0}, cold_start_share=0.0)
    drawn = PolicyConfig(weights={"popular": 1.0}, cold_start_share=0.0, exploration=0.2)
    rng = np.random.default_rng(7)
    firsts = np.zeros(4)
    for _ in range(400):
        (pick,) = ranking.rank(ranking.prepare(catalog, drawn), Viewer(), 1, rng=rng)
        firsts[pick.row] += 1
    assert firsts[0] > firsts[1] > firsts[2] > 0
    # Without a generator (or at 0) the order is strict.
    assert order(catalog, strict) == ["s0", "s1", "s2", "s3"]


def test_pool_push_serves_the_session_owed_most_of_its_pool_first() -> None:
    tiers = (TierRule(10, 100), TierRule(1, 1000))
    catalog = world(
        [
            {"exposures": 90, "enters": 20, "likes": 0},  # tier 1, nearly full
            {"exposures": 20, "enters": 4, "likes": 0},  # tier 1, owed 80 %
        ]
    )
    pushed = PolicyConfig(weights={"pools": 1.0}, tiers=tiers, cold_start_share=0.0, pool_push=1.0)
    assert order(catalog, pushed) == ["s1", "s0"]


def test_a_promoted_session_is_served_its_tiers_sample_at_once_then_judged() -> None:
    tiers = (TierRule(10, 100, bar=0.5), TierRule(50, 1000), TierRule(200, 10_000))
    cfg = PolicyConfig(
        weights={"pools": 1.0},
        tiers=tiers,
        thresholds={"like_rate": 0.10},
        cold_start_share=0.0,
        judge_share=0.2,
    )
    # Twenty sessions in the top tier (judged already), above anything in tier 2.
    rows: list[dict[str, Any]] = [{"exposures": 300, "enters": 100, "likes": 20}] * 20
    # s20: on air for 2 minutes, promoted to tier 2 (like rate 10 %), owed 50 - 20 = 30.
    rows = [*rows, {"exposures": 20, "enters": 10, "likes": 1, "age_s": 120}]
    catalog = world(rows)
    prepared = ranking.prepare(catalog, cfg)
    assert prepared.tier.tolist() == [3] * 20 + [2]
    assert prepared.judging.tolist() == [False] * 20 + [True]
    assert prepared.owed[20] == 30
    picks = ranking.rank(prepared, Viewer(), 10)
    judged = [pick for pick in picks if pick.row == 20]
    assert len(judged) == 1
    assert judged[0].policy == "pools"
    assert judged[0].reasons[0].code == "promoted"
    # Requests sharing this Prepared stop serving it once it got its 30 exposures.
    for _ in range(40):
        ranking.rank(prepared, Viewer(), 10)
    assert prepared.served[20] == 30
    # Older than the cold-start window: not owed any more.
    late = world([*rows[:20], {**rows[20], "age_s": 3600}])
    assert not ranking.prepare(late, cfg).judging.any()


def test_the_freshest_session_being_judged_comes_first() -> None:
    tiers = (TierRule(10, 100, bar=0.5), TierRule(50, 1000), TierRule(200, 10_000))
    cfg = PolicyConfig(
        weights={"pools": 1.0},
        tiers=tiers,
        thresholds={"like_rate": 0.10},
        cold_start_share=0.0,
        judge_share=0.1,
    )
    rows: list[dict[str, Any]] = [
        {"exposures": 20, "enters": 10, "likes": 2, "age_s": 600},
        {"exposures": 20, "enters": 10, "likes": 2, "age_s": 60},
        {"exposures": 20, "enters": 10, "likes": 2, "age_s": 300},
    ]
    rows += [{"exposures": 300, "enters": 100, "likes": 20}] * 20
    prepared = ranking.prepare(world(rows), cfg)
    # One judged place on a page of ten: the session on air for one minute.
    shown = {pick.row for pick in ranking.rank(prepared, Viewer(), 10)}
    assert 1 in shown
    assert not shown & {0, 2}


def test_cold_start_serves_each_new_session_only_its_test_pool_per_refresh() -> None:
    rows: list[dict[str, Any]] = [{"online": 10, "exposures": 500} for _ in range(30)]
    rows += [{"age_s": 60, "exposures": 95}, {"age_s": 60, "exposures": 98}]
    cfg = PolicyConfig(
        weights={"popular": 1.0}, tiers=TIERS, cold_start_share=0.2, exposure_cap_share=0.0
    )
    prepared = ranking.prepare(world(rows), cfg)
    for _ in range(20):
        ranking.rank(prepared, Viewer(), 10)
    # The test pool is 100: five more for s8, two more for s9, however many requests.
    assert prepared.served[30:].tolist() == [5, 2]


def test_a_room_reaching_its_cap_is_held_back_within_the_refresh() -> None:
    cfg = PolicyConfig(
        weights={"popular": 1.0},
        cold_start_share=0.0,
        exposure_cap_share=0.1,
        exposure_cap_min_total=10,
    )
    rows: list[dict[str, Any]] = [{"online": 100, "room_window_exposures": 8}] + [
        {"online": 1} for _ in range(5)
    ]
    prepared = ranking.prepare(world(rows, window_total=100), cfg)
    assert ranking.rank(prepared, Viewer(), 1)[0].row == 0
    ranking.rank(prepared, Viewer(), 1)
    # 8 + 2 = 10 % of the window: held back from now on.
    assert prepared.capped[0]
    assert ranking.rank(prepared, Viewer(), 1)[0].row != 0


TRIAL_TIERS = (TierRule(sample=30, size=100), TierRule(sample=100, size=1_000))


def tags_config(**values: Any) -> PolicyConfig:
    return PolicyConfig(
        weights={"tags": 1.0},
        tiers=TRIAL_TIERS,
        exposure_cap_share=0.0,
        **({"cold_start_share": 0.0} | values),
    )


def test_under_tags_a_new_session_is_tested_on_viewers_it_fits() -> None:
    rows: list[dict[str, Any]] = [{"tags": ["茶叶"], "exposures": 500} for _ in range(6)]
    rows += [
        {"tags": ["数码"], "age_s": 60, "exposures": 0},  # s6: fits the viewer at 0.1
        {"tags": ["茶叶"], "age_s": 60, "exposures": 5},  # s7: fits at 1
        {"tags": [], "age_s": 60, "exposures": 0},  # s8: no tags
        {"tags": ["茶叶"], "age_s": 60, "exposures": 0},  # s9: fits at 1
    ]
    catalog = world(rows)
    cfg = tags_config(cold_start_share=0.2)
    fan = Viewer(interests={"茶叶": 1.0, "数码": 0.1})
    picks = ranking.rank(ranking.prepare(catalog, cfg), fan, 10)
    # Tags' places of the cold start go to what fits (the least exposed first): s9, s7.
    # s6 fits at 0.1, under test_match (0.25): it is not tested on this viewer.
    cold = [catalog.session_ids[p.row] for p in picks if p.policy == "cold_start"]
    assert cold == ["s9", "s7"]
    # Spread over the page; s6 gets what its weak fit earns, s8 (nothing to match) the end.
    assert [catalog.session_ids[p.row] for p in picks] == [
        "s0",
        "s1",
        "s2",
        "s9",
        "s3",
        "s4",
        "s7",
        "s5",
        "s6",
        "s8",
    ]
    # A viewer with no interests yet has nothing to fit: any new session, least exposed first.
    picks = ranking.rank(ranking.prepare(catalog, cfg), Viewer(), 10)
    cold = [catalog.session_ids[p.row] for p in picks if p.policy == "cold_start"]
    assert cold == ["s6", "s8"]


def test_a_session_stays_on_trial_while_it_engages_better_than_its_peers() -> None:
    young = {"tags": ["茶叶"], "age_s": 300, "exposures": 40}
    rows: list[dict[str, Any]] = [
        {**young, "enters": 20, "likes": 6, "watch_s": 20 * 300},  # s0: engaging
        {**young, "enters": 2, "likes": 0, "watch_s": 2 * 40},  # s1: not
        {**young, "enters": 10, "likes": 2, "watch_s": 10 * 150},  # s2: the median
        {**young, "exposures": 20, "enters": 20, "likes": 20},  # s3: not tested yet (< 30)
        {**young, "age_s": 7200, "enters": 30, "likes": 9},  # s4: no longer young
    ]
    rows += [{"tags": ["茶叶"], "exposures": 500, "enters": 50} for _ in range(10)]
    catalog = world(rows)
    cfg = tags_config(trial_share=0.2, trial_quantile=0.5, trial_optimism=0.0)
    prepared = ranking.prepare(catalog, cfg)
    # Judged against its peers (s0–s2): at or over their median, owed its exposures so far.
    assert prepared.trial.tolist()[:5] == [True, False, True, False, False]
    assert prepared.trial_owed.tolist()[:5] == [40.0, 0.0, 40.0, 0.0, 0.0]
    fan = Viewer(interests={"茶叶": 1.0})
    picks = ranking.rank(prepared, fan, 10)
    trial = [(catalog.session_ids[p.row], p.policy, p.reasons[0].code) for p in picks]
    assert [t for t in trial if t[2] == "trial"] == [
        ("s0", "tags", "trial"),
        ("s2", "tags", "trial"),
    ]
    # Served what it is owed in this refresh (its trial places and the others counted), then
    # no more trial places until the next refresh.
    pages = [ranking.rank(prepared, fan, 10) for _ in range(60)]
    on_trial = [sum(p.reasons[0].code == "trial" for p in page) for page in pages]
    assert on_trial == [2] * 39 + [0] * 21
    assert prepared.served[[0, 2]].tolist() == [61.0, 61.0]
    # With optimism, s1's thin evidence (two entries) gets the benefit of the doubt; with
    # ten times the exposures at the same rates it does not.
    hopeful = tags_config(trial_share=0.2, trial_quantile=0.5, trial_optimism=0.2)
    assert ranking.prepare(catalog, hopeful).trial.tolist()[:3] == [True, True, True]
    rows[1] = {**young, "exposures": 400, "enters": 20, "likes": 0, "watch_s": 20 * 40}
    assert ranking.prepare(world(rows), hopeful).trial.tolist()[:3] == [True, False, True]
    # A viewer it does not fit gets no trial places.
    other = ranking.rank(ranking.prepare(catalog, cfg), Viewer(interests={"数码": 1.0}), 10)
    assert all(pick.reasons[0].code != "trial" for pick in other)


def test_each_pick_says_whether_it_fits_its_viewer() -> None:
    catalog = world(
        [
            {"tags": ["茶叶"], "exposures": 100},  # s0: the viewer's strongest interest
            {"tags": ["数码"], "exposures": 100},  # s1: 0.3 of it, over test_match (0.25)
            {"tags": ["美妆"], "exposures": 100},  # s2: 0.2 of it, under
            {"tags": [], "exposures": 100},  # s3: nothing to match
        ]
    )
    viewer = Viewer(interests={"茶叶": 1.0, "数码": 0.3, "美妆": 0.2})
    for cfg in (tags_config(), config(pools=1), config(popular=1)):
        picks = ranking.rank(ranking.prepare(catalog, cfg), viewer, 10)
        fits = {catalog.session_ids[p.row]: p.fits for p in picks}
        assert fits == {"s0": True, "s1": True, "s2": False, "s3": False}
    # A viewer with no interests fits nothing.
    assert not any(
        p.fits for p in ranking.rank(ranking.prepare(catalog, tags_config()), Viewer(), 10)
    )


def test_tags_judge_a_young_session_on_the_viewers_it_fits() -> None:
    young = {"tags": ["茶叶"], "age_s": 300, "exposures": 60, "enters": 6, "watch_s": 6 * 200}
    rows: list[dict[str, Any]] = [
        # s0: its six entries all came from the 30 exposures to viewers it fits (20 %).
        {**young, "fit_exposures": 30, "fit_enters": 6},
        # s1: the same totals, its fitting viewers entered more rarely than the others.
        {**young, "fit_exposures": 30, "fit_enters": 2},
        # s2: as s0, but no longer young: judged on every viewer.
        {**young, "age_s": 7200, "fit_exposures": 30, "fit_enters": 6},
    ]
    catalog = world(rows)
    prepared = ranking.prepare(catalog, tags_config())
    # Enter rates over the threshold (25 %), each shrunk with 20 pseudo-exposures at half of
    # it; the other metrics as the totals say (watch 200 s of 180 s, no likes, …).
    assert prepared.quality.tolist() == [prepared.quality[0]] * 3
    assert prepared.tags_quality[2] == prepared.quality[2]
    enter_part = [(ratio * 30 + 0.5 * 20) / 50 for ratio in (0.8, 2 / 30 / 0.25)]
    everyone = (0.4 * 60 + 0.5 * 20) / 80
    weight = ranking.METRIC_WEIGHTS["enter_rate"] / 8.5 / 2  # of the session metrics' 8.5
    assert prepared.tags_quality[0] == pytest.approx(
        prepared.quality[0] + weight * (enter_part[0] - everyone)
    )
    assert prepared.tags_quality[1] == pytest.approx(
        prepared.quality[1] + weight * (enter_part[1] - everyone)
    )
    # The pools' estimate is every viewer's; with fit judging off so is tags'.
    off = ranking.prepare(catalog, tags_config(fit_judging=False))
    assert off.tags_quality.tolist() == off.quality.tolist()
    # Under tags the young session its fitting viewers enter comes first, the one they do
    # not enter last; judged on every viewer the three are equal (in row order).
    fan = Viewer(interests={"茶叶": 1.0})
    assert order(catalog, tags_config(), fan) == ["s0", "s2", "s1"]
    assert order(catalog, tags_config(fit_judging=False), fan) == ["s0", "s1", "s2"]


def test_the_trial_can_serve_the_least_shown_session_first() -> None:
    young = {"tags": ["茶叶"], "age_s": 300}
    rows: list[dict[str, Any]] = [
        {**young, "exposures": 80, "enters": 40, "likes": 12, "watch_s": 40 * 300},  # s0
        {**young, "exposures": 40, "enters": 10, "likes": 1, "watch_s": 10 * 100},  # s1
        {**young, "exposures": 40, "enters": 16, "likes": 4, "watch_s": 16 * 200},  # s2
    ]
    rows += [{"tags": ["茶叶"], "exposures": 500, "enters": 50} for _ in range(10)]
    catalog = world(rows)
    fan = Viewer(interests={"茶叶": 1.0})

    def trial_rows(cfg: PolicyConfig, pages: int) -> list[list[str]]:
        prepared = ranking.prepare(catalog, cfg)
        assert prepared.trial.tolist()[:3] == [True, True, True]
        return [
            [
                catalog.session_ids[p.row]
                for p in ranking.rank(prepared, fan, 10)
                if p.reasons[0].code == "trial"
            ]
            for _ in range(pages)
        ]

    everyone = {"trial_share": 0.2, "trial_quantile": 0.0, "trial_optimism": 0.0}
    # The better engaging first: s0 and s2 until each had what it is owed (80 and 40).
    by_engagement = trial_rows(tags_config(**everyone), 81)
    assert by_engagement[0] == ["s0", "s2"]
    # The least shown first (s1 and s2 at 40, the better engaging of them first), then s0
    # once they had their 40 each.
    smallest = trial_rows(tags_config(**everyone, trial_smallest_first=True), 81)
    assert smallest[0] == ["s2", "s1"]
    assert smallest[39] == ["s2", "s1"]
    assert smallest[40] == ["s0"]
    assert smallest[80] == []
