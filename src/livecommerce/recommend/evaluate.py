"""Leave-last-out evaluation of the recommender against its baselines, on one split.

Each user's last event (by time, then file order) is the target; users with fewer than
MIN_EVENTS events are not tested (their events still train). Readings: HR@K and NDCG@K at
item level and at category level, over all targets and over "explore" targets (an item or
category new to the user). On explore readings every method ranks only what is new to the
user, so `repeat` and `recent` have nothing to offer there and score 0.
"""

from __future__ import annotations

import math
import time
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from livecommerce.profiles.userbehavior import ACTION_WEIGHT, Malformed, read_rows
from livecommerce.recommend.engine import (
    DEFAULT_PARAMS,
    AlsBaseline,
    Interactions,
    Params,
    Recommender,
    baseline_ranking,
)

MIN_EVENTS = 3
TARGET_RATIO = 1.2
METHODS = ("product", "pop", "repeat", "recent", "als")
VALIDATION_FOLDS = 3  # validation targets per user: their last training events, in turn
# The settings `--tune` chooses among, on validation targets only (the first is the default).
PARAM_GRID: tuple[Params, ...] = (
    DEFAULT_PARAMS,
    *(
        Params(
            half_life_events=half_life,
            cat_w=cat_w,
            item_w=item_w,
            recency_w=recency_w,
            explore_slots=explore_slots,
        )
        for half_life in (1.0, 2.0, 4.0, 8.0)
        for cat_w in ((1.0, 0.3, 0.1, 0.01), (1.0, 0.1, 0.03, 0.01))
        for item_w in ((0.6, 0.5, 0.3, 0.02, 1.5), (1.0, 1.0, 0.3, 0.02, 1.5))
        for recency_w in ((0.0, 0.0), (0.5, 0.5))
        for explore_slots in (DEFAULT_PARAMS.explore_slots, 0)
        if (half_life, cat_w, item_w, recency_w, explore_slots)
        != (
            DEFAULT_PARAMS.half_life_events,
            DEFAULT_PARAMS.cat_w,
            DEFAULT_PARAMS.item_w,
            DEFAULT_PARAMS.recency_w,
            DEFAULT_PARAMS.explore_slots,
        )
    ),
)


@dataclass
class Indexed:
    """Interactions with the external ids behind their indexes."""

    data: Interactions
    users: list[str]
    items: list[str]
    categories: list[str]
    malformed: Malformed = field(default_factory=Malformed)


def load(path: Path) -> Indexed:
    """Stream a UserBehavior file into compact arrays."""
    malformed = Malformed()
    rows = (
        (row.user, row.item, row.category, row.action, row.ts) for row in read_rows(path, malformed)
    )
    indexed = from_rows(rows)
    indexed.malformed = malformed
    return indexed


class RowsIndexer:
    """Rows (user, item, category, action, unix seconds) of any id kind into compact arrays
    with dense indexes (memory: 4-byte indexes, the weights and times, and one entry per
    distinct id; no object per row is kept)."""

    def __init__(self) -> None:
        self.users: dict[str, int] = {}
        self.items: dict[str, int] = {}
        self.categories: dict[str, int] = {}
        self.u, self.i, self.c = array("i"), array("i"), array("i")
        self.ts = array("q")
        self.w = array("d")
        self.item_category = array("i")  # per item: the category it was first seen with

    def add(self, user_key: str, item_key: str, category_key: str, action: str, stamp: int) -> None:
        self.add_many([(user_key, item_key, category_key, action, stamp)])

    def add_many(self, rows: Sequence[tuple[str, str, str, str, int]]) -> None:
        users, items, categories = self.users, self.items, self.categories
        known_items = len(items)
        self.u.extend([users.setdefault(row[0], len(users)) for row in rows])
        batch_items = [items.setdefault(row[1], len(items)) for row in rows]
        batch_categories = [categories.setdefault(row[2], len(categories)) for row in rows]
        if len(items) > known_items:  # new items: the category of their first row
            for item, category in zip(batch_items, batch_categories, strict=True):
                if item == len(self.item_category):
                    self.item_category.append(category)
        self.i.extend(batch_items)
        self.c.extend(batch_categories)
        self.w.extend([ACTION_WEIGHT.get(row[3], 1.0) for row in rows])
        self.ts.extend([row[4] for row in rows])

    def indexed(self) -> Indexed:
        def take(values: array[Any], dtype: Any) -> Any:
            out = np.frombuffer(values, dtype=dtype).copy()
            del values[:]  # the buffer is copied: give its memory back at once
            return out

        data = Interactions(
            take(self.u, np.int32),
            take(self.i, np.int32),
            take(self.c, np.int32),
            take(self.w, np.float64),
            take(self.ts, np.int64),
            len(self.users),
            len(self.items),
            len(self.categories),
            take(self.item_category, np.int32),
        )
        return Indexed(data, list(self.users), list(self.items), list(self.categories))


def from_rows(rows: Iterable[tuple[str, str, str, str, int]]) -> Indexed:
    """Interactions from (user, item, category, action, unix seconds) of any id kind."""
    indexer = RowsIndexer()
    for user_key, item_key, category_key, action, stamp in rows:
        indexer.add(user_key, item_key, category_key, action, stamp)
    return indexer.indexed()


@dataclass
class Reading:
    hits: dict[str, float] = field(default_factory=lambda: dict.fromkeys(METHODS, 0.0))
    gains: dict[str, float] = field(default_factory=lambda: dict.fromkeys(METHODS, 0.0))
    tested: int = 0

    def add(self, method: str, ranked: list[int], target: int) -> None:
        if target in ranked:
            self.hits[method] += 1.0
            self.gains[method] += 1.0 / math.log2(ranked.index(target) + 2)

    def report(self, k: int) -> dict[str, Any]:
        n = max(self.tested, 1)
        out: dict[str, Any] = {"tested": self.tested}
        for metric, totals in ((f"hr@{k}", self.hits), (f"ndcg@{k}", self.gains)):
            values = {method: round(totals[method] / n, 4) for method in METHODS}
            best_name = max((m for m in METHODS if m != "product"), key=lambda m: totals[m])
            best, product = totals[best_name], totals["product"]
            ratio = product / best if best else (math.inf if product else 1)
            out[metric] = {
                **values,
                "best_baseline": best_name,
                "ratio": round(ratio, 3) if math.isfinite(ratio) else None,
                # Judged on the totals, not the rounded rates (12 hits against 10 is 1.2x).
                # Nothing to beat is no win: a reading where every method scores 0 fails.
                "meets_target": product > 0 and product >= TARGET_RATIO * best - 1e-9,
            }
        return out


def split(data: Interactions) -> tuple[Interactions, dict[int, tuple[int, int]]]:
    """Training events, and each tested user's target (item, category)."""
    counts = np.bincount(data.user, minlength=data.n_users)
    last = data.positions_from_end() == 0
    target = last & (counts[data.user] >= MIN_EVENTS)
    targets = {
        int(user): (int(item), int(category))
        for user, item, category in zip(
            data.user[target], data.item[target], data.category[target], strict=True
        )
    }
    return data.subset(~target), targets


def _readings(
    train: Interactions,
    targets: dict[int, tuple[int, int]],
    params: Params,
    k: int,
    als: tuple[AlsBaseline, AlsBaseline] | None = None,
) -> dict[str, Reading]:
    """Every method's hits on these targets, all trained on `train` only."""
    recommender = Recommender(train, params)
    als_items, als_categories = als or (
        AlsBaseline(recommender.items.counts),
        AlsBaseline(recommender.categories.counts, factors=16),
    )
    readings = {
        name: Reading() for name in ("item", "item_explore", "category", "category_explore")
    }
    for user, (item, category) in sorted(targets.items()):
        for level_name, level, target, model in (
            ("item", recommender.items, item, als_items),
            ("category", recommender.categories, category, als_categories),
        ):
            seen = set(level.counts.getrow(user).indices.tolist())
            plans = [(level_name, False)]
            if target not in seen:
                plans.append((f"{level_name}_explore", True))
            for reading_name, explore in plans:
                reading = readings[reading_name]
                reading.tested += 1
                if level_name == "item":
                    reading.add("product", recommender.recommend_items(user, k, explore), target)
                else:
                    ranked = recommender.recommend_categories(user, k, explore)
                    reading.add("product", ranked, target)
                for name in ("pop", "repeat", "recent"):
                    reading.add(name, baseline_ranking(name, level, user, k, explore), target)
                reading.add("als", model.recommend(user, k, explore), target)
    return readings


def _report(readings: dict[str, Reading], k: int) -> dict[str, Any]:
    out = {name: reading.report(k) for name, reading in readings.items()}
    return {
        "readings": out,
        "met": sum(
            reading[metric]["meets_target"]
            for reading in out.values()
            for metric in (f"hr@{k}", f"ndcg@{k}")
        ),
    }


def _merged(many: list[dict[str, Reading]]) -> dict[str, Reading]:
    merged: dict[str, Reading] = {}
    for readings in many:
        for name, reading in readings.items():
            into = merged.setdefault(name, Reading())
            into.tested += reading.tested
            for method in METHODS:
                into.hits[method] += reading.hits[method]
                into.gains[method] += reading.gains[method]
    return merged


def _closeness(report: dict[str, Any], k: int) -> float:
    """Tie-break between settings meeting as many readings: the ratios to the best
    baseline, each capped at 2 (a reading with nothing to beat counts 1.5 if hit)."""
    total = 0.0
    for reading in report["readings"].values():
        for metric in (f"hr@{k}", f"ndcg@{k}"):
            row = reading[metric]
            best = row[row["best_baseline"]]
            total += min(row["product"] / best, 2.0) if best else 1.5 * (row["product"] > 0)
    return total


def choose_params(
    train: Interactions, k: int, folds: int = VALIDATION_FOLDS
) -> tuple[Params, dict[str, Any]]:
    """The blend settings that do best on validation targets cut from the training events
    alone: each user's last `folds` training events in turn, each predicted from the events
    before it. The test targets are never looked at."""
    cuts: list[tuple[Interactions, dict[int, tuple[int, int]], tuple[AlsBaseline, ...]]] = []
    remaining = train
    for _ in range(folds):
        remaining, targets = split(remaining)
        if not targets:
            break
        probe = Recommender(remaining)
        cuts.append(
            (
                remaining,
                targets,
                (
                    AlsBaseline(probe.items.counts),
                    AlsBaseline(probe.categories.counts, factors=16),
                ),
            )
        )
    scored: list[tuple[int, float, int, Params, dict[str, Any]]] = []
    for order, params in enumerate(PARAM_GRID):
        runs = [
            _readings(data, targets, params, k, (als[0], als[1])) for data, targets, als in cuts
        ]
        report = _report(_merged(runs), k)
        scored.append((report["met"], _closeness(report, k), -order, params, report))
    met, closeness, _order, chosen, report = max(scored, key=lambda row: row[:3])
    return chosen, {
        "folds": len(cuts),
        "targets": sum(len(targets) for _, targets, _ in cuts),
        "settings_tried": len(PARAM_GRID),
        "chosen": asdict(chosen),
        "met_on_validation": met,
        "closeness_on_validation": round(closeness, 3),
        "default_met_on_validation": next(row[0] for row in scored if row[3] == DEFAULT_PARAMS),
        "validation_readings": report["readings"],
    }


def evaluate(indexed: Indexed, k: int = 10, tune: bool = False) -> dict[str, Any]:
    """Readings of the product's recommender (its default settings, as the training job
    uses them) against the baselines. With `tune`, also the settings chosen on validation
    targets cut from the training events, and their readings on the same test targets."""
    started = time.perf_counter()
    train, targets = split(indexed.data)
    probe = Recommender(train)
    trained = time.perf_counter()
    als = (AlsBaseline(probe.items.counts), AlsBaseline(probe.categories.counts, factors=16))
    report = _report(_readings(train, targets, DEFAULT_PARAMS, k, als), k)
    finished = time.perf_counter()
    result: dict[str, Any] = {
        "events": len(indexed.data),
        "users": indexed.data.n_users,
        "items": indexed.data.n_items,
        "categories": indexed.data.n_categories,
        "malformed_lines": indexed.malformed.count,
        "tested_users": len(targets),
        "k": k,
        "target_ratio": TARGET_RATIO,
        "params": asdict(DEFAULT_PARAMS),
        "readings": report["readings"],
        "readings_met": report["met"],
        "train_s": round(trained - started, 3),
        "total_s": round(finished - started, 3),
    }
    result["meets_target"] = report["met"] == 2 * len(report["readings"])
    if tune:
        chosen, validation = choose_params(train, k)
        tuned = _report(_readings(train, targets, chosen, k, als), k)
        result["tuned"] = {
            **validation,
            "readings": tuned["readings"],
            "readings_met": tuned["met"],
            "meets_target": tuned["met"] == 2 * len(tuned["readings"]),
        }
        result["total_s"] = round(time.perf_counter() - started, 3)
    return result
