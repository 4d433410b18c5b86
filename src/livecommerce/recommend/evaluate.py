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
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from livecommerce.profiles.userbehavior import ACTION_WEIGHT, Malformed, read_rows
from livecommerce.recommend.engine import (
    AlsBaseline,
    Interactions,
    Recommender,
    baseline_ranking,
)

MIN_EVENTS = 3
TARGET_RATIO = 1.2
METHODS = ("product", "pop", "repeat", "recent", "als")


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


def from_rows(rows: Iterable[tuple[str, str, str, str, int]]) -> Indexed:
    """Interactions from (user, item, category, action, unix seconds) of any id kind."""
    users: dict[str, int] = {}
    items: dict[str, int] = {}
    categories: dict[str, int] = {}
    item_category: dict[int, int] = {}
    u, i, c, ts = array("q"), array("q"), array("q"), array("q")
    w = array("d")
    for user_key, item_key, category_key, action, stamp in rows:
        user = users.setdefault(user_key, len(users))
        item = items.setdefault(item_key, len(items))
        category = categories.setdefault(category_key, len(categories))
        item_category.setdefault(item, category)
        u.append(user)
        i.append(item)
        c.append(category)
        w.append(ACTION_WEIGHT.get(action, 1.0))
        ts.append(stamp)
    per_item = np.zeros(len(items), dtype=np.int64)
    for item, category in item_category.items():
        per_item[item] = category
    data = Interactions(
        np.frombuffer(u, dtype=np.int64).copy(),
        np.frombuffer(i, dtype=np.int64).copy(),
        np.frombuffer(c, dtype=np.int64).copy(),
        np.frombuffer(w, dtype=np.float64).copy(),
        np.frombuffer(ts, dtype=np.int64).copy(),
        len(users),
        len(items),
        len(categories),
        per_item,
    )
    return Indexed(data, list(users), list(items), list(categories))


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
            best_name = max((m for m in METHODS if m != "product"), key=lambda m: values[m])
            best = values[best_name]
            ratio = values["product"] / best if best else (math.inf if values["product"] else 1)
            out[metric] = {
                **values,
                "best_baseline": best_name,
                "ratio": round(ratio, 3) if math.isfinite(ratio) else None,
                # Nothing to beat is no win: a reading where every method scores 0 fails.
                "meets_target": values["product"] > 0 and values["product"] >= TARGET_RATIO * best,
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


def evaluate(indexed: Indexed, k: int = 10) -> dict[str, Any]:
    started = time.perf_counter()
    train, targets = split(indexed.data)
    recommender = Recommender(train)
    trained = time.perf_counter()
    als_items = AlsBaseline(recommender.items.counts)
    als_categories = AlsBaseline(recommender.categories.counts, factors=16)
    readings = {
        name: Reading() for name in ("item", "item_explore", "category", "category_explore")
    }
    for user, (item, category) in sorted(targets.items()):
        for level_name, level, target, als in (
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
                reading.add("als", als.recommend(user, k, explore), target)
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
        "readings": {name: reading.report(k) for name, reading in readings.items()},
        "train_s": round(trained - started, 3),
        "total_s": round(finished - started, 3),
    }
    result["meets_target"] = all(
        reading[metric]["meets_target"]
        for reading in result["readings"].values()
        for metric in (f"hr@{k}", f"ndcg@{k}")
    )
    return result
