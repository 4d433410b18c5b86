"""The ranking of feed items: pure code over columns of numbers, no database.

The feed service and ``livecommerce bench traffic`` both run this module: the service fills
a :class:`Catalog` from the database, the benchmark from its simulated platform.

Four policies score every candidate between 0 and 1 and are blended by weight:

- ``pools`` (Douyin): tiered pools. A session starts in tier 1 (the test pool) and is
  promoted tier by tier once it has had the tier's sample of exposures and one promoting
  metric (enter rate, like rate, …) reaches its threshold; a session that filled its tier's
  pool without being promoted is held there. Within a tier, a smoothed blend of its rates.
- ``tags`` (Kuaishou): the room's tags matched against the viewer's interests (weighed
  by the room's engagement); followed hosts first.
- ``private`` (WeChat): only followed hosts, fan clubs the viewer belongs to and rooms
  shared with the viewer.
- ``popular``: the online count (the old home page), the baseline.

Around the blend: a cold-start share of each page for new sessions (their test pool), a
judged share for sessions promoted within their first half hour (their new tier's sample,
the freshest first), a per-room exposure cap (a share of all exposures in a window: rooms
over it are held back to the end), operator pins (first) and demotions. Each pick carries
its reasons as data. Requests share one :class:`Prepared` per refresh; it counts what it
has served, so test pools and owed samples are handed out once, not once per request.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

POLICIES = ("pools", "tags", "private", "popular")
KIND_LIVE, KIND_UPCOMING, KIND_REPLAY = 0, 1, 2
# Short videos (``traffic/video_candidates.py``): ranked by the same policies, judged by the
# pools on their viewers (``enters`` holds their views) and on the completion rate.
KIND_VIDEO = 3
KIND_NAMES = ("live", "upcoming", "replay", "video")
# Live sessions outrank announcements and replays in the recommend feed.
KIND_FACTOR = np.array([1.0, 0.35, 0.25, 0.6])
MAX_TAGS = 8
METRICS = (
    "enter_rate",
    "avg_watch_s",
    "like_rate",
    "comment_rate",
    "share_rate",
    "follow_rate",
    "orders_per_mille",
    "completion_rate",
)
# Which rows a metric judges: sessions are not judged on completion; videos (whose views
# are their entries) not on the enter rate, the minutes watched or follows.
SESSION_ONLY_METRICS = frozenset({"enter_rate", "avg_watch_s", "follow_rate"})
VIDEO_ONLY_METRICS = frozenset({"completion_rate"})

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class TierRule:
    """A pool: ``sample`` exposures before it judges, ``size`` exposures it holds, and
    ``bar``: leaving it takes a promoting metric at ``bar`` × its threshold (a higher bar
    for higher pools makes each tier a step of quality)."""

    sample: int
    size: int
    bar: float = 1.0


DEFAULT_TIERS = (
    TierRule(sample=200, size=1_000),  # the test pool (200–1,000 viewers)
    TierRule(sample=2_000, size=100_000),
    TierRule(sample=20_000, size=1_000_000),
    TierRule(sample=200_000, size=10_000_000),
)
# How much each metric counts in the estimate of engagement within a tier: the enter rate
# is measured over exposures (many), watch time over every entry, the others over rarer acts.
METRIC_WEIGHTS = {
    "enter_rate": 3.0,
    "avg_watch_s": 2.0,
    "like_rate": 1.0,
    "comment_rate": 0.5,
    "share_rate": 0.5,
    "follow_rate": 0.5,
    "orders_per_mille": 1.0,
    "completion_rate": 2.0,
}
# Creator-guide numbers: ~10 % like rate; the others in the same spirit.
DEFAULT_THRESHOLDS: dict[str, float] = {
    "enter_rate": 0.25,
    "avg_watch_s": 180.0,
    "like_rate": 0.10,
    "comment_rate": 0.05,
    "share_rate": 0.02,
    "follow_rate": 0.05,
    "orders_per_mille": 30.0,
    "completion_rate": 0.4,  # short videos: four viewers in ten watch to the end
}


@dataclass(frozen=True)
class PolicyConfig:
    """The blend and its parameters (settings, overridden by what the admin page stores)."""

    weights: Mapping[str, float] = field(
        default_factory=lambda: {"pools": 0.6, "tags": 0.3, "private": 0.0, "popular": 0.1}
    )
    tiers: tuple[TierRule, ...] = DEFAULT_TIERS
    pool_scale: float = 1.0  # multiplies samples and sizes: a small platform uses smaller pools
    thresholds: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    cold_start_share: float = 0.2
    cold_start_window_s: float = 1800.0
    exposure_cap_share: float = 0.05  # 0 disables the cap
    exposure_cap_min_total: int = 200  # the cap applies once the window has this many
    exposure_window_s: float = 600.0
    gini_cap: float = 0.6  # the exposure Gini an operator means to stay under (reported)
    # The temperature of each page's draw: 0 is a strict order by score; above it, items are
    # drawn with odds exp(score / exploration) (Plackett–Luce, by Gumbel noise), so attention
    # spreads in proportion to merit instead of everybody getting the same top ten.
    exploration: float = 0.0
    # Pseudo-observations at half each threshold that a promoting rate is shrunk with, so a
    # handful of lucky entries does not promote (0: the raw rates).
    evidence: float = 0.0
    # The same, counted in events at the threshold: a rate is shrunk with as many pseudo
    # entries as it takes to expect this many events at its threshold (a 2 % share rate
    # needs five times the entries of a 10 % like rate to weigh as much). Watch time is
    # shrunk with this many pseudo entries.
    evidence_events: float = 0.0
    # What a session keeps of its pools score once it filled its pool without promotion.
    full_pool_factor: float = 0.25
    # A session owed the rest of its pool is pushed by this much times the unfilled share,
    # so a promoted session gets its larger audience quickly (then is judged again).
    pool_push: float = 0.0
    # The share of each page (times the pools weight) kept for sessions being judged: a
    # session promoted to tier t is owed tier t's sample of exposures before it is judged
    # again, and gets it in these places at once (larger pools first), so what performs
    # reaches its bigger audience within minutes.
    judge_share: float = 0.0
    # Who is served first among sessions being judged: the freshly started (odds divided
    # by e per this many seconds of age), then the better engaging (odds times e per this
    # much of the engagement estimate). Only sessions within ``cold_start_window_s`` of
    # going on air are judged this way; older ones are ranked by their tier alone.
    judge_freshness_s: float = 60.0
    judge_temperature: float = 0.1
    # ``tags``' trial, its cold start continued while a session keeps engaging: a live
    # session or video in its first ``cold_start_window_s``, past its test pool, whose
    # engagement estimate is at least the ``trial_quantile`` of its peers' (sessions as young
    # and tested; plus ``trial_optimism`` × the prior's share of its estimate, so thin
    # evidence gets the benefit of the doubt) is owed ``trial_growth`` × its exposures so far
    # at each refresh, so its audience grows geometrically while it engages and stops
    # growing the refresh it does not. It is served in this share of each page (times the
    # tags weight), the better engaging first (odds × e per ``trial_temperature``), only to
    # viewers it fits (``test_match``), never beyond the exposure cap. 0: off.
    trial_share: float = 0.0
    trial_growth: float = 1.0
    trial_quantile: float = 0.9
    trial_temperature: float = 0.05
    trial_optimism: float = 0.2
    # The trial's order: the session shown least so far first (the better engaging first
    # among equals), so a newcomer on trial gets its owed audience before the sessions that
    # already had theirs; off: the better engaging first (``trial_temperature``).
    trial_smallest_first: bool = False
    # Who a session is tested on under tags (tags' share of the cold start and the trial):
    # viewers whose interest in one of its tags is at least this share of their strongest.
    test_match: float = 0.25
    # Under tags, a young session (within ``cold_start_window_s`` of going on air) is judged
    # on the viewers it fits: its enter rate is its entries from fitting viewers over its
    # exposures to them (``Catalog.fit_exposures``/``fit_enters``), so the evidence of
    # viewers it was never for does not keep its estimate down. Older rows and ``pools``
    # are judged on every viewer.
    fit_judging: bool = True

    def tier_rules(self) -> list[TierRule]:
        scale = max(self.pool_scale, 1e-6)
        return [
            TierRule(
                sample=max(1, round(rule.sample * scale)),
                size=max(1, round(rule.size * scale)),
                bar=rule.bar,
            )
            for rule in self.tiers
        ]

    def normalized_weights(self) -> dict[str, float]:
        weights = {name: max(0.0, float(self.weights.get(name, 0.0))) for name in POLICIES}
        total = sum(weights.values())
        if total <= 0:
            return {"popular": 1.0, "pools": 0.0, "tags": 0.0, "private": 0.0}
        return {name: value / total for name, value in weights.items()}


@dataclass
class Catalog:
    """The candidates, column by column (one row per session)."""

    session_ids: list[str]
    room_ids: list[str]
    kind: IntArray
    tags: IntArray  # (n, MAX_TAGS) indices into ``vocabulary``, -1 padding
    vocabulary: list[str]
    online: FloatArray
    exposures: FloatArray
    enters: FloatArray
    watch_s: FloatArray
    likes: FloatArray
    comments: FloatArray
    shares: FloatArray
    follows: FloatArray
    orders: FloatArray
    age_s: FloatArray  # since the session went on air (or was created, for others)
    room_window_exposures: FloatArray  # the room's exposures in the cap's window
    window_total: float
    pinned: BoolArray
    demoted: BoolArray
    new_room: BoolArray
    completions: FloatArray | None = None  # videos: viewers who watched to the end
    # The exposures and entries from viewers the row fits (``Pick.fits``: an interest in one
    # of its tags at least ``test_match`` of their strongest): ``tags`` judges a young
    # session's enter rate on these alone (see PolicyConfig.fit_judging). None: not
    # recorded apart (the same as ``exposures`` and ``enters``).
    fit_exposures: FloatArray | None = None
    fit_enters: FloatArray | None = None
    room_rows: dict[str, list[int]] = field(default_factory=dict)
    tag_index: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.completions is None:
            self.completions = np.zeros(len(self.session_ids))
        if self.fit_exposures is None:
            self.fit_exposures = self.exposures
        if self.fit_enters is None:
            self.fit_enters = self.enters
        if not self.room_rows:
            for row, room_id in enumerate(self.room_ids):
                self.room_rows.setdefault(room_id, []).append(row)
        if not self.tag_index:
            self.tag_index = {name: index for index, name in enumerate(self.vocabulary)}

    def __len__(self) -> int:
        return len(self.session_ids)


def empty_columns(n: int) -> dict[str, Any]:
    """Zeroed columns for ``n`` rows (callers fill what they know)."""
    return {
        "kind": np.zeros(n, dtype=np.int64),
        "tags": np.full((n, MAX_TAGS), -1, dtype=np.int64),
        "online": np.zeros(n),
        "exposures": np.zeros(n),
        "enters": np.zeros(n),
        "watch_s": np.zeros(n),
        "likes": np.zeros(n),
        "comments": np.zeros(n),
        "shares": np.zeros(n),
        "follows": np.zeros(n),
        "orders": np.zeros(n),
        "age_s": np.full(n, 1e9),
        "room_window_exposures": np.zeros(n),
        "pinned": np.zeros(n, dtype=np.bool_),
        "demoted": np.zeros(n, dtype=np.bool_),
        "new_room": np.zeros(n, dtype=np.bool_),
        "completions": np.zeros(n),
    }


@dataclass(frozen=True)
class Viewer:
    followed_rooms: frozenset[str] = frozenset()
    fan_rooms: frozenset[str] = frozenset()
    shared_rooms: frozenset[str] = frozenset()
    interests: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Reason:
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Pick:
    row: int
    policy: str
    reasons: tuple[Reason, ...]
    # Whether the row fits the viewer it was picked for (an interest in one of its tags at
    # least ``test_match`` of the viewer's strongest): recorded with the exposure, so the
    # catalog can count exposures and entries from fitting viewers apart.
    fits: bool = False


@dataclass
class Prepared:
    """What does not depend on the viewer, computed once per catalog."""

    catalog: Catalog
    config: PolicyConfig
    tier: IntArray  # 1-based
    promoted_by: list[tuple[str, float, float] | None]  # the metric that promoted last
    pools: FloatArray
    tag_rows: list[IntArray]  # per vocabulary index, the rows carrying that tag
    quality: FloatArray  # the smoothed engagement estimate (0..1), tiers aside
    # The same as ``tags`` judges it: a young session's on the viewers it fits (see
    # PolicyConfig.fit_judging), the others' as ``quality``.
    tags_quality: FloatArray
    popular: FloatArray
    capped: BoolArray
    cold: BoolArray
    judging: BoolArray  # promoted, owed the rest of its tier's sample before it is judged
    owed: FloatArray  # exposures a judged session still needs (0 for the others)
    judge_weight: FloatArray  # its tier's sample: larger pools are served faster
    cold_need: FloatArray  # exposures a cold-start session still needs for its test pool
    cap_at: float  # a room's exposures in the window that hold it back (inf: no cap)
    # The score's parts that do not depend on the viewer (pools, popular), with the kind,
    # demotion and pin applied, and what a viewer's parts (tags, private) are multiplied by:
    # a request adds its own parts to a copy instead of recomputing the whole blend.
    base: FloatArray = field(default_factory=lambda: np.zeros(0))
    multiplier: FloatArray = field(default_factory=lambda: np.zeros(0))
    # What ``rank`` has handed out since ``prepare`` (requests share one Prepared for a
    # tick): a session owed a test audience stops being served once it got it, and a room
    # reaching its cap is held back at once, not at the next refresh.
    served: FloatArray = field(default_factory=lambda: np.zeros(0))
    cold_rows: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    judging_rows: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # ``tags``' trial (see PolicyConfig.trial_share): who is on trial and how many exposures
    # each is owed in this refresh.
    trial: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))
    trial_owed: FloatArray = field(default_factory=lambda: np.zeros(0))
    trial_quality: FloatArray = field(default_factory=lambda: np.zeros(0))
    trial_rows: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __post_init__(self) -> None:
        n = len(self.catalog)
        if len(self.served) != n:
            self.served = np.zeros(n)
        if len(self.trial) != n:
            self.trial = np.zeros(n, dtype=np.bool_)
            self.trial_owed = np.zeros(n)
            self.trial_quality = np.zeros(n)
        self.cold_rows = np.nonzero(self.cold)[0]
        self.judging_rows = np.nonzero(self.judging)[0]
        self.trial_rows = np.nonzero(self.trial)[0]

    def record_served(self, rows: Iterable[int]) -> None:
        """Count exposures handed out for these rows; rooms reaching their cap are held
        back from now on."""
        catalog = self.catalog
        for row in rows:
            self.served[row] += 1
            if self.cap_at == math.inf or self.capped[row]:
                continue
            room_rows = catalog.room_rows.get(catalog.room_ids[row], [row])
            served = float(self.served[room_rows].sum())
            if catalog.room_window_exposures[row] + served >= self.cap_at:
                self.capped[room_rows] = True


def _rates(catalog: Catalog) -> dict[str, FloatArray]:
    exposures = np.maximum(catalog.exposures, 1.0)
    enters = np.maximum(catalog.enters, 1.0)
    return {
        "enter_rate": np.where(catalog.exposures > 0, catalog.enters / exposures, 0.0),
        "avg_watch_s": np.where(catalog.enters > 0, catalog.watch_s / enters, 0.0),
        "like_rate": np.where(catalog.enters > 0, catalog.likes / enters, 0.0),
        "comment_rate": np.where(catalog.enters > 0, catalog.comments / enters, 0.0),
        "share_rate": np.where(catalog.enters > 0, catalog.shares / enters, 0.0),
        "follow_rate": np.where(catalog.enters > 0, catalog.follows / enters, 0.0),
        "orders_per_mille": np.where(catalog.enters > 0, catalog.orders * 1000.0 / enters, 0.0),
        "completion_rate": np.where(catalog.enters > 0, _completions(catalog) / enters, 0.0),
    }


def _completions(catalog: Catalog) -> FloatArray:
    return np.zeros(len(catalog)) if catalog.completions is None else catalog.completions


def metric_applies(name: str, kind: IntArray) -> BoolArray:
    """Per row: whether ``name`` judges it (see SESSION_ONLY_METRICS)."""
    if name in SESSION_ONLY_METRICS:
        return np.asarray(kind != KIND_VIDEO)
    if name in VIDEO_ONLY_METRICS:
        return np.asarray(kind == KIND_VIDEO)
    return np.ones(len(kind), dtype=np.bool_)


def metric_rates(catalog: Catalog, config: PolicyConfig | None = None) -> dict[str, FloatArray]:
    """The promoting metrics per row: raw, or shrunk by ``config.evidence``."""
    if config is None or (config.evidence <= 0 and config.evidence_events <= 0):
        return _rates(catalog)
    rates = _rates(catalog)
    shrunk: dict[str, FloatArray] = {}
    for name, values in rates.items():
        base = catalog.exposures if name == "enter_rate" else catalog.enters
        threshold = float(config.thresholds.get(name, 0.0))
        k = config.evidence
        if config.evidence_events > 0:
            per_event = name not in ("avg_watch_s",) and threshold > 0
            scale = 1000.0 if name == "orders_per_mille" else 1.0
            k += config.evidence_events * (scale / threshold if per_event else 1.0)
        prior = 0.5 * threshold
        shrunk[name] = (values * base + prior * k) / (base + k)
    return shrunk


def tier_of(
    exposures: float, rates: Mapping[str, float], config: PolicyConfig
) -> tuple[int, tuple[str, float, float] | None]:
    """The tier a session has reached and the metric that promoted it last (if any).

    From tier t a session moves up once it has had tier t's sample of exposures and one
    promoting metric is at or over its threshold (the first such metric, in METRICS order).
    """
    rules = config.tier_rules()
    tier = 1
    promoted: tuple[str, float, float] | None = None
    while tier < len(rules) and exposures >= rules[tier - 1].sample:
        metric = _promoting_metric(rates, config, rules[tier - 1].bar)
        if metric is None:
            break
        tier += 1
        promoted = metric
    return tier, promoted


def _promoting_metric(
    rates: Mapping[str, float], config: PolicyConfig, bar: float = 1.0
) -> tuple[str, float, float] | None:
    for name in METRICS:
        threshold = config.thresholds.get(name)
        if threshold is None or threshold <= 0:
            continue
        value = float(rates.get(name, 0.0))
        if value >= threshold * bar:
            return (name, value, float(threshold * bar))
    return None


def prepare(catalog: Catalog, config: PolicyConfig) -> Prepared:
    """Tiers, the pools and popular scores, the cap and the cold-start flags."""
    n = len(catalog)
    rates = metric_rates(catalog, config)
    rules = config.tier_rules()
    samples = np.array([rule.sample for rule in rules], dtype=np.float64)
    sizes = np.array([rule.size for rule in rules], dtype=np.float64)
    # Tier by tier, like tier_of: the first metric at or over the tier's bar (-1: none).
    tier = np.ones(n, dtype=np.int64)
    promoted_metric = np.full(n, -1, dtype=np.int64)
    promoted_bar = np.ones(n)
    for level in range(1, len(rules)):
        bar = rules[level - 1].bar
        passing = np.full(n, -1, dtype=np.int64)
        for position in range(len(METRICS) - 1, -1, -1):
            name = METRICS[position]
            threshold = config.thresholds.get(name)
            if threshold is None or threshold <= 0:
                continue
            passing = np.where(
                metric_applies(name, catalog.kind) & (rates[name] >= threshold * bar),
                position,
                passing,
            )
        up = (tier == level) & (passing >= 0) & (catalog.exposures >= samples[level - 1])
        tier = np.where(up, level + 1, tier)
        promoted_metric = np.where(up, passing, promoted_metric)
        promoted_bar = np.where(up, bar, promoted_bar)
    promoted_by: list[tuple[str, float, float] | None] = [None] * n
    for row in np.nonzero(tier > 1)[0]:
        name = METRICS[int(promoted_metric[row])]
        promoted_by[int(row)] = (
            name,
            float(rates[name][row]),
            float(config.thresholds[name]) * float(promoted_bar[row]),
        )
    raw = _rates(catalog)
    quality, shrink = _engagement(catalog, config, raw, catalog.exposures)
    tags_quality, tags_shrink = quality, shrink
    young = ((catalog.kind == KIND_LIVE) | (catalog.kind == KIND_VIDEO)) & (
        catalog.age_s <= config.cold_start_window_s
    )
    fit_exposures = _fit_column(catalog.fit_exposures, catalog.exposures)
    fit_enters = _fit_column(catalog.fit_enters, catalog.enters)
    if config.fit_judging and young.any():
        fitted = dict(raw)
        fitted["enter_rate"] = np.where(
            fit_exposures > 0, fit_enters / np.maximum(fit_exposures, 1.0), 0.0
        )
        fit_quality, fit_shrink = _engagement(catalog, config, fitted, fit_exposures)
        tags_quality = np.where(young, fit_quality, quality)
        tags_shrink = np.where(young, fit_shrink, shrink)
    levels = len(rules)
    pools = (tier - 1 + quality) / levels
    # A pool that is full and did not promote holds the session back.
    full = catalog.exposures >= sizes[tier - 1]
    pools = np.where(full & (tier < levels), pools * config.full_pool_factor, pools)
    unfilled = np.clip(1.0 - catalog.exposures / sizes[tier - 1], 0.0, 1.0)
    pools = (pools + config.pool_push * unfilled) / (1.0 + config.pool_push)
    online = np.maximum(catalog.online, 0.0)
    top = float(online.max()) if n else 0.0
    popular = np.log1p(online) / math.log1p(top) if top > 0 else np.zeros(n)
    capped = np.zeros(n, dtype=np.bool_)
    cap_at = math.inf
    if config.exposure_cap_share > 0 and catalog.window_total >= config.exposure_cap_min_total:
        cap_at = config.exposure_cap_share * catalog.window_total
        capped = catalog.room_window_exposures >= cap_at
    cold = (
        ((catalog.kind == KIND_LIVE) | (catalog.kind == KIND_VIDEO))
        & (catalog.age_s <= config.cold_start_window_s)
        & (catalog.exposures < samples[0])
    ) | (catalog.new_room & (catalog.kind == KIND_LIVE) & (catalog.exposures < samples[0]))
    weights = config.normalized_weights()
    multiplier = KIND_FACTOR[catalog.kind] * np.where(catalog.demoted, 0.2, 1.0)
    base = (weights["pools"] * pools + weights["popular"] * popular) * multiplier + np.where(
        catalog.pinned, 10.0, 0.0
    )
    sample_now = samples[tier - 1]
    judging = (
        (catalog.kind == KIND_LIVE)
        & (tier >= 2)
        & (catalog.exposures < sample_now)
        & (catalog.age_s <= config.cold_start_window_s)
        & ~cold
    )
    owed = np.where(judging, sample_now - catalog.exposures, 0.0)
    trial, trial_owed, trial_quality = _trials(
        catalog, config, tags_quality, tags_shrink, cold, float(samples[0])
    )
    flat = catalog.tags.reshape(-1)
    owners = np.repeat(np.arange(n, dtype=np.int64), catalog.tags.shape[1] if n else 0)
    keep = flat >= 0
    flat, owners = flat[keep], owners[keep]
    order = np.argsort(flat, kind="stable")
    flat, owners = flat[order], owners[order]
    bounds = np.searchsorted(flat, np.arange(len(catalog.vocabulary) + 1))
    tag_rows = [owners[bounds[i] : bounds[i + 1]] for i in range(len(catalog.vocabulary))]
    return Prepared(
        catalog=catalog,
        config=config,
        tag_rows=tag_rows,
        tier=tier,
        promoted_by=promoted_by,
        pools=pools,
        quality=quality,
        tags_quality=tags_quality,
        popular=popular,
        capped=capped,
        cold=cold,
        judging=judging,
        owed=owed,
        judge_weight=np.where(judging, sample_now, 0.0),
        cold_need=np.where(cold, samples[0] - catalog.exposures, 0.0),
        cap_at=cap_at,
        base=base,
        multiplier=multiplier,
        trial=trial,
        trial_owed=trial_owed,
        trial_quality=trial_quality,
    )


def _fit_column(values: FloatArray | None, fallback: FloatArray) -> FloatArray:
    return fallback if values is None else values


def _engagement(
    catalog: Catalog,
    config: PolicyConfig,
    rates: Mapping[str, FloatArray],
    exposures: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """The engagement estimate (0..1) of each row from its ``rates`` (the enter rate over
    ``exposures``, the others over entries) and how much of it is the prior (1: no
    evidence yet). Within a tier: a smoothed mean of each rate over its threshold (capped
    at 2), so a room with few exposures sits near the prior instead of at 0 or at the top."""
    n = len(catalog)
    prior = 20.0
    quality = np.zeros(n)
    counted = np.zeros(n)
    shrink = np.zeros(n)
    for name in METRICS:
        threshold = config.thresholds.get(name)
        if threshold is None or threshold <= 0:
            continue
        weight = METRIC_WEIGHTS.get(name, 1.0) * metric_applies(name, catalog.kind)
        base = exposures if name == "enter_rate" else catalog.enters
        ratio = np.minimum(rates[name] / threshold, 2.0)
        quality += weight * (ratio * base + 0.5 * prior) / (base + prior)
        shrink += weight * prior / (base + prior)
        counted += weight
    quality = quality / np.maximum(counted, 1e-9) / 2.0
    shrink = shrink / np.maximum(counted, 1e-9)
    return quality, shrink


def _trials(
    catalog: Catalog,
    config: PolicyConfig,
    quality: FloatArray,
    shrink: FloatArray,
    cold: BoolArray,
    test_pool: float,
) -> tuple[BoolArray, FloatArray, FloatArray]:
    """Who is on ``tags``' trial, what each is owed this refresh and the engagement estimate
    it is judged and served by (see PolicyConfig.trial_share).

    A session is judged against its peers (sessions as young and past their test pool), and
    with the benefit of the doubt: its estimate is shrunk towards the peers' bar rather than
    towards the platform's prior, so a session with little evidence starts at the bar and
    moves with what its viewers do, instead of starting behind sessions with more evidence.
    It stays on trial while that estimate is at least the bar."""
    n = len(catalog)
    none = np.zeros(n, dtype=np.bool_)
    if config.trial_share <= 0 or n == 0:
        return none, np.zeros(n), np.zeros(n)
    tested = (
        ((catalog.kind == KIND_LIVE) | (catalog.kind == KIND_VIDEO))
        & (catalog.age_s <= config.cold_start_window_s)
        & ~cold
        & (catalog.exposures >= test_pool)
    )
    if not tested.any():
        return none, np.zeros(n), np.zeros(n)
    level = min(max(config.trial_quantile, 0.0), 1.0)
    bar = float(np.quantile(quality[tested], level))
    # The prior's part of the estimate (0.25: each rate at half its threshold) moved to the bar.
    judged = quality + shrink * (bar - 0.25)
    bar = float(np.quantile(judged[tested], level))
    # Optimism where the evidence is thin: a session stays on trial until its evidence
    # says it is under the bar, not merely while its estimate is over it (otherwise one
    # unlucky test pool would keep it off the trial that would give it more evidence).
    trial = tested & ~catalog.demoted & (judged + config.trial_optimism * shrink >= bar)
    owed = np.where(trial, np.maximum(test_pool, config.trial_growth * catalog.exposures), 0.0)
    return trial, owed, np.where(tested, judged, quality)


def _rows_of(catalog: Catalog, rooms: Iterable[str]) -> list[int]:
    rows: list[int] = []
    for room_id in rooms:
        rows.extend(catalog.room_rows.get(room_id, ()))
    return rows


def _interest_scores(prepared: Prepared, interests: Mapping[str, float]) -> FloatArray:
    """Per row, the sum of the viewer's weights of its tags (through the tag → rows index,
    so the cost is the rows of the viewer's few tags, not the whole catalog's tags)."""
    catalog = prepared.catalog
    scores: FloatArray = np.zeros(len(catalog))
    for name, value in interests.items():
        index = catalog.tag_index.get(name)
        if index is not None and value > 0:
            scores[prepared.tag_rows[index]] += float(value)
    return scores


def rank(
    prepared: Prepared,
    viewer: Viewer,
    limit: int,
    *,
    exclude: Iterable[int] = (),
    allowed: BoolArray | None = None,
    random_scores: FloatArray | None = None,
    rng: np.random.Generator | None = None,
) -> list[Pick]:
    """At most ``limit`` picks for ``viewer``, best first, none of ``exclude``; only rows
    where ``allowed`` is true (a category tab). ``random_scores`` replaces the blend (the
    benchmark's ``random`` baseline). With ``config.exploration`` above 0 and an ``rng``, the
    page is drawn (see PolicyConfig.exploration) rather than sorted."""
    catalog, config = prepared.catalog, prepared.config
    n = len(catalog)
    if n == 0 or limit <= 0:
        return []
    weights = config.normalized_weights()
    available = np.ones(n, dtype=np.bool_) if allowed is None else allowed.copy()
    exclude_rows = list(exclude)
    if exclude_rows:
        available[np.asarray(exclude_rows, dtype=np.int64)] = False
    followed = np.zeros(n, dtype=np.bool_)
    followed[_rows_of(catalog, viewer.followed_rooms)] = True
    fan = np.zeros(n, dtype=np.bool_)
    fan[_rows_of(catalog, viewer.fan_rooms)] = True
    shared = np.zeros(n, dtype=np.bool_)
    shared[_rows_of(catalog, viewer.shared_rooms)] = True

    parts: dict[str, FloatArray] = {}
    # How well each row fits the viewer (under every policy: each exposure records whether
    # it went to a viewer the row fits, see Pick.fits).
    match = _interest_scores(prepared, viewer.interests)
    top = float(match.max()) if n else 0.0
    fit = match / top if top > 0 else match
    fits = (match > 0) & (fit >= config.test_match)
    if weights["tags"] > 0:
        # Among rooms that fit, the better engaging ones first.
        parts["tags"] = np.where(followed, 1.0, 0.8 * fit * (0.5 + 0.5 * prepared.tags_quality))
    if weights["pools"] > 0:
        parts["pools"] = prepared.pools
    if weights["popular"] > 0:
        parts["popular"] = prepared.popular
    if weights["private"] > 0:
        private = (followed | fan | shared).astype(np.float64)
        parts["private"] = private
        if weights["private"] >= 1.0 - 1e-9:
            available &= private > 0

    contributions: dict[str, tuple[float, FloatArray]] = {}
    if random_scores is not None:
        score = random_scores.copy()
    else:
        contributions = {name: (weights[name], values) for name, values in parts.items()}
        score = prepared.base.copy()
        for name in ("tags", "private"):
            if name in parts:
                score += weights[name] * parts[name] * prepared.multiplier
        score[prepared.capped & ~catalog.pinned] -= 10.0
    if random_scores is None and rng is not None and config.exploration > 0:
        score += config.exploration * rng.gumbel(size=n)
    score[~available] = -np.inf

    cold_slots = 0
    if random_scores is None and config.cold_start_share > 0:
        cold_slots = min(limit, int(round(limit * config.cold_start_share)))
    chosen_cold: list[int] = []
    if cold_slots:
        cold_rows = prepared.cold_rows
        cold_rows = cold_rows[
            (prepared.served[cold_rows] < prepared.cold_need[cold_rows])
            & available[cold_rows]
            & ~prepared.capped[cold_rows]
        ]
        if len(cold_rows):
            # The least exposed first, so every new session gets its test audience. Tags'
            # share of these places (its weight) only goes to sessions that fit the viewer
            # (``test_match``): under tags a session is tested on the audience it is for. A
            # viewer with no interests yet has nothing to match: any new session will do.
            shown = catalog.exposures[cold_rows] + prepared.served[cold_rows]
            strong = fits[cold_rows] & (weights["tags"] > 0)
            order = np.lexsort((cold_rows, shown, ~strong))
            tag_slots = int(round(cold_slots * weights["tags"])) if viewer.interests else 0
            other_slots = cold_slots - tag_slots
            for i in order:
                if strong[i] and tag_slots > 0:
                    tag_slots -= 1
                elif other_slots > 0:
                    other_slots -= 1
                else:
                    continue
                chosen_cold.append(int(cold_rows[i]))
                if tag_slots == 0 and other_slots == 0:
                    break
    if chosen_cold:
        score[np.asarray(chosen_cold, dtype=np.int64)] = -np.inf
    chosen_judged: list[int] = []
    judge_slots = 0
    if random_scores is None and config.judge_share > 0 and weights["pools"] > 0:
        judge_slots = min(
            limit - len(chosen_cold), int(round(limit * config.judge_share * weights["pools"]))
        )
    if judge_slots > 0:
        chosen_judged = _judged(prepared, available & np.isfinite(score), judge_slots, rng)
        if chosen_judged:
            score[np.asarray(chosen_judged, dtype=np.int64)] = -np.inf
    chosen_trial: list[int] = []
    trial_slots = 0
    if random_scores is None and config.trial_share > 0 and weights["tags"] > 0:
        trial_slots = min(
            limit - len(chosen_cold) - len(chosen_judged),
            int(round(limit * config.trial_share * weights["tags"])),
        )
    if trial_slots > 0 and len(prepared.trial_rows):
        matched = available & np.isfinite(score) & fits
        chosen_trial = _on_trial(prepared, matched, trial_slots, rng)
        if chosen_trial:
            score[np.asarray(chosen_trial, dtype=np.int64)] = -np.inf
    main_count = min(
        limit - len(chosen_cold) - len(chosen_judged) - len(chosen_trial),
        int(np.count_nonzero(np.isfinite(score))),
    )
    main: list[int] = []
    if main_count > 0:
        if main_count < n:
            top_rows = np.argpartition(-score, main_count - 1)[:main_count]
        else:
            top_rows = np.arange(n)
        top_rows = top_rows[np.isfinite(score[top_rows])]
        order = np.lexsort((top_rows, -score[top_rows]))
        main = [int(top_rows[i]) for i in order]

    # Sessions being judged or on trial, then cold-start picks, take evenly spread places.
    rows: list[tuple[int, str]] = [(row, "") for row in main]
    for extra, why in ((chosen_judged, "judged"), (chosen_trial, "trial"), (chosen_cold, "cold")):
        total = len(rows) + len(extra)
        for index, row in enumerate(extra):
            position = min(len(rows), (index + 1) * total // (len(extra) + 1))
            rows.insert(position, (row, why))

    prepared.record_served(row for row, _ in rows)
    picks: list[Pick] = []
    for row, why in rows:
        pick = _explain(prepared, row, why, contributions, followed, fan, shared, viewer, match)
        picks.append(replace(pick, fits=bool(fits[row])) if fits[row] else pick)
    return picks


def _judged(
    prepared: Prepared, available: BoolArray, slots: int, rng: np.random.Generator | None
) -> list[int]:
    """Up to ``slots`` sessions being judged. With an ``rng`` they are drawn with odds in
    proportion to their tier's sample, divided by e for every ``judge_freshness_s`` of the
    session's age and multiplied by e for every ``judge_temperature`` of its engagement
    estimate; without, the youngest first, then the larger pool, then the better engaging."""
    rows = prepared.judging_rows
    rows = rows[
        (prepared.served[rows] < prepared.owed[rows]) & available[rows] & ~prepared.capped[rows]
    ]
    if not len(rows):
        return []
    config = prepared.config
    weight = prepared.judge_weight[rows]
    age = prepared.catalog.age_s[rows]
    if rng is not None:
        keys = (
            np.log(weight)
            - age / max(config.judge_freshness_s, 1e-6)
            + prepared.quality[rows] / max(config.judge_temperature, 1e-6)
            + rng.gumbel(size=len(rows))
        )
        order = np.argsort(-keys, kind="stable")
    else:
        order = np.lexsort((rows, -prepared.quality[rows], -weight, age))
    return [int(rows[i]) for i in order[:slots]]


def _on_trial(
    prepared: Prepared, available: BoolArray, slots: int, rng: np.random.Generator | None
) -> list[int]:
    """Up to ``slots`` sessions on ``tags``' trial still owed exposures in this refresh: with
    ``trial_smallest_first`` the least shown first (exposures so far and served since the
    refresh), the better engaging first among equals; otherwise the better engaging first,
    with an ``rng`` drawn with odds multiplied by e for every ``trial_temperature`` of their
    judged estimate, without in its order."""
    rows = prepared.trial_rows
    rows = rows[
        (prepared.served[rows] < prepared.trial_owed[rows])
        & available[rows]
        & ~prepared.capped[rows]
    ]
    if not len(rows):
        return []
    quality = prepared.trial_quality[rows]
    if prepared.config.trial_smallest_first:
        shown = prepared.catalog.exposures[rows] + prepared.served[rows]
        order = np.lexsort((rows, -quality, shown))
    elif rng is not None:
        keys = quality / max(prepared.config.trial_temperature, 1e-6) + rng.gumbel(size=len(rows))
        order = np.argsort(-keys, kind="stable")
    else:
        order = np.lexsort((rows, -quality))
    return [int(rows[i]) for i in order[:slots]]


def _explain(
    prepared: Prepared,
    row: int,
    why: str,
    contributions: Mapping[str, tuple[float, FloatArray]],
    followed: BoolArray,
    fan: BoolArray,
    shared: BoolArray,
    viewer: Viewer,
    match: FloatArray,
) -> Pick:
    catalog = prepared.catalog
    reasons: list[Reason] = []
    is_cold = why == "cold"
    if why == "judged":
        # Promoted and owed its tier's test audience: the pools' reason comes first.
        contributions = {"pools": (1.0, prepared.pools), **contributions}
    if catalog.pinned[row]:
        reasons.append(Reason("pinned"))
    if is_cold:
        new = "new_video" if catalog.kind[row] == KIND_VIDEO else "new_session"
        reasons.append(Reason(new, {"tier": 1}))
    if why == "trial":
        # On tags' trial: shown for the interest it matches while its early viewers engage.
        contributions = {"tags": (1.0, match), **contributions}
        reasons.append(Reason("trial"))
    ranked = sorted(
        ((weight * float(values[row]), name) for name, (weight, values) in contributions.items()),
        reverse=True,
    )
    if why in ("judged", "trial"):
        first = "pools" if why == "judged" else "tags"
        ranked.sort(key=lambda item: item[1] != first)
    policy = (
        "cold_start" if is_cold else (ranked[0][1] if ranked and ranked[0][0] > 0 else "random")
    )
    if catalog.pinned[row]:
        policy = "pinned"
    for value, name in ranked:
        if value <= 0:
            continue
        if name == "tags":
            if followed[row]:
                reasons.append(Reason("followed_host"))
            tag = _best_tag(catalog, row, viewer.interests) if match[row] > 0 else None
            if tag is not None:
                reasons.append(Reason("interest_match", {"tag": tag}))
        elif name == "private":
            if followed[row] and not any(r.code == "followed_host" for r in reasons):
                reasons.append(Reason("followed_host"))
            if fan[row]:
                reasons.append(Reason("fan_club"))
            if shared[row]:
                reasons.append(Reason("shared_with_you"))
        elif name == "pools" and not is_cold and catalog.kind[row] in (KIND_LIVE, KIND_VIDEO):
            tier = int(prepared.tier[row])
            promoted = prepared.promoted_by[row]
            if promoted is not None:
                metric, got, threshold = promoted
                reasons.append(
                    Reason(
                        "promoted",
                        {"tier": tier, "metric": metric, "value": got, "threshold": threshold},
                    )
                )
            else:
                reasons.append(Reason("pool_tier", {"tier": tier}))
        elif name == "popular" and catalog.kind[row] == KIND_LIVE:
            reasons.append(Reason("popular", {"online": int(catalog.online[row])}))
    if catalog.kind[row] == KIND_UPCOMING:
        reasons.append(Reason("upcoming"))
    elif catalog.kind[row] == KIND_REPLAY:
        reasons.append(Reason("replay"))
    if prepared.capped[row] and not catalog.pinned[row]:
        reasons.append(Reason("exposure_capped"))
    if not reasons:
        reasons.append(Reason("explore"))
    unique: list[Reason] = []
    for reason in reasons:
        if all(reason.code != seen.code for seen in unique):
            unique.append(reason)
    return Pick(row=row, policy=policy, reasons=tuple(unique[:4]))


def _best_tag(catalog: Catalog, row: int, interests: Mapping[str, float]) -> str | None:
    best: tuple[float, str] | None = None
    for index in catalog.tags[row]:
        if index < 0:
            continue
        name = catalog.vocabulary[int(index)]
        value = float(interests.get(name, 0.0))
        if value > 0 and (best is None or value > best[0]):
            best = (value, name)
    return None if best is None else best[1]


def follow_order(
    catalog: Catalog,
    followed_rooms: Iterable[str],
    planned_at: Sequence[float],
    ended_at: Sequence[float],
) -> list[Pick]:
    """The follow tab: followed hosts live now (most online first), then upcoming (soonest
    first), then replays (latest first)."""
    rows = _rows_of(catalog, followed_rooms)

    def key(row: int) -> tuple[int, float, int]:
        kind = int(catalog.kind[row])
        if kind == KIND_LIVE:
            return (0, -float(catalog.online[row]), row)
        if kind == KIND_UPCOMING:
            return (1, planned_at[row], row)
        return (2, -ended_at[row], row)

    return [
        Pick(row=row, policy="follow", reasons=(Reason("followed_host"),))
        for row in sorted(rows, key=key)
    ]


# ---- measures of a distribution (the admin page and the benchmark) -----------------------


def gini(values: Sequence[float] | FloatArray) -> float:
    """The Gini coefficient of non-negative values (0 equal, towards 1 all on one)."""
    data = np.sort(np.asarray(values, dtype=np.float64))
    n = len(data)
    total = float(data.sum())
    if n == 0 or total <= 0:
        return 0.0
    index = np.arange(1, n + 1)
    return float((2.0 * np.sum(index * data)) / (n * total) - (n + 1) / n)


def top_share(values: Sequence[float] | FloatArray, count: int = 10) -> float:
    """The share of the total held by the ``count`` largest values."""
    data = np.sort(np.asarray(values, dtype=np.float64))[::-1]
    total = float(data.sum())
    return float(data[:count].sum() / total) if total > 0 else 0.0


def spearman(first: Sequence[float] | FloatArray, second: Sequence[float] | FloatArray) -> float:
    """Spearman's rank correlation (ties share their mean rank)."""
    a = _ranks(np.asarray(first, dtype=np.float64))
    b = _ranks(np.asarray(second, dtype=np.float64))
    if len(a) < 2 or a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def _ranks(values: FloatArray) -> FloatArray:
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values), dtype=np.float64)
    # ties: the mean of their ranks
    sorted_values = values[order]
    start = 0
    for end in range(1, len(values) + 1):
        if end == len(values) or sorted_values[end] != sorted_values[start]:
            if end - start > 1:
                ranks[order[start:end]] = (start + end - 1) / 2.0
            start = end
    return ranks
