"""The metric definitions: written once here, documented in docs/metrics.md, and used by
every dashboard, report, CSV and benchmark. Money is integer cents; ratios are basis
points (1/10,000) rounded down; durations are whole seconds rounded down.

Counters (summed from the rollups, each a plain sum of the behaviour events):

- ``enters``: visits (a viewer's connection joining the room; 进房次数 / views);
- ``viewers``: unique viewers (UV): distinct signed-in users plus distinct anonymous
  visitors who entered;
- ``watch_seconds``: seconds of the visits that ended (each leave carries its visit's
  length);
- ``likes``, ``comments`` (chat messages stored), ``shares``;
- ``product_clicks``; ``clickers``: distinct viewers who clicked a product;
- ``orders`` placed and ``order_cents``; ``orderers``: distinct buyers who ordered;
- ``paid_orders``, ``gmv_cents`` (what was paid); ``payers``: distinct buyers who paid;
- ``refunds``, ``refund_cents``: orders refunded in full, counted when refunded;
- ``fan_viewers``, ``fan_gmv_cents``: viewers who followed the room or belonged to its
  fan club when first seen in the session, and what they paid;
- ``new_buyers``, ``new_buyer_gmv_cents``: buyers whose first paid order in the room is
  in this session, and that first order's amount.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from livecommerce.models import ROLLUP_COUNTERS

# Traffic sources a visit can carry: the traffic domain's (``TrafficSource``), and
# "unknown" for a viewer whose visit was not attributed.
SOURCES = (
    "feed_recommend",
    "feed_follow",
    "feed_category",
    "search",
    "share",
    "external",
    "direct",
    "unknown",
)
UNKNOWN_SOURCE = "unknown"


def source_of(value: object) -> str:
    return value if isinstance(value, str) and value in SOURCES else UNKNOWN_SOURCE


@dataclass(frozen=True)
class Metric:
    key: str
    zh: str
    en: str
    unit: str  # count | cents | seconds | bp


# Every figure a dashboard shows, in the order they are shown. docs/metrics.md lists the
# same keys with their definitions (tests/dashboards/test_metrics_doc.py checks it).
METRICS: tuple[Metric, ...] = (
    Metric("online", "当前在线", "Online now", "count"),
    Metric("pcu", "最高在线", "Peak concurrent viewers", "count"),
    Metric("enters", "进房次数", "Entries", "count"),
    Metric("viewers", "观看人数", "Unique viewers", "count"),
    Metric("avg_watch_seconds", "人均观看时长", "Average watch time", "seconds"),
    Metric("follows", "新增关注", "New follows", "count"),
    Metric("fan_joins", "新加粉丝团", "Fan-club joins", "count"),
    Metric("likes", "点赞", "Likes", "count"),
    Metric("comments", "评论", "Comments", "count"),
    Metric("shares", "分享", "Shares", "count"),
    Metric("product_clicks", "商品点击", "Product clicks", "count"),
    Metric("orders", "下单", "Orders placed", "count"),
    Metric("paid_orders", "成交订单", "Paid orders", "count"),
    Metric("gmv_cents", "成交金额", "GMV", "cents"),
    Metric("refunds", "退款订单", "Refunds", "count"),
    Metric("refund_cents", "退款金额", "Refunded", "cents"),
    Metric("net_gmv_cents", "净成交金额", "Net GMV", "cents"),
    Metric("gpm_cents", "千次观看成交", "GPM", "cents"),
    Metric("uv_value_cents", "UV 价值", "UV value", "cents"),
    Metric("conversion_bp", "成交转化率", "Conversion", "bp"),
)
METRIC_KEYS = tuple(metric.key for metric in METRICS)

FUNNEL_STEPS = ("exposures", "viewers", "clickers", "orderers", "payers")


def ratio(numerator: int, denominator: int, scale: int) -> int:
    """``numerator * scale / denominator`` rounded down; 0 when nothing to divide by."""
    return numerator * scale // denominator if denominator > 0 else 0


def gpm_cents(gmv_cents: int, enters: int) -> int:
    """GMV per thousand entries (千次观看成交金额)."""
    return ratio(gmv_cents, enters, 1000)


def uv_value_cents(gmv_cents: int, viewers: int) -> int:
    return ratio(gmv_cents, viewers, 1)


def conversion_bp(payers: int, viewers: int) -> int:
    return ratio(payers, viewers, 10_000)


def avg_watch_seconds(watch_seconds: int, viewers: int) -> int:
    return ratio(watch_seconds, viewers, 1)


def empty_counters() -> dict[str, int]:
    return dict.fromkeys(ROLLUP_COUNTERS, 0)


def add_counters(into: dict[str, int], other: Mapping[str, int]) -> dict[str, int]:
    for name in ROLLUP_COUNTERS:
        into[name] += int(other.get(name, 0))
    return into


def sum_counters(rows: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total = empty_counters()
    for row in rows:
        add_counters(total, row)
    return total


def figures(
    counters: Mapping[str, int],
    *,
    online: int = 0,
    pcu: int = 0,
    follows: int = 0,
    fan_joins: int = 0,
) -> dict[str, int]:
    """Every metric of ``METRICS`` from summed counters (and the live extras)."""
    gmv = int(counters["gmv_cents"])
    viewers = int(counters["viewers"])
    return {
        "online": online,
        "pcu": pcu,
        "enters": int(counters["enters"]),
        "viewers": viewers,
        "avg_watch_seconds": avg_watch_seconds(int(counters["watch_seconds"]), viewers),
        "follows": follows,
        "fan_joins": fan_joins,
        "likes": int(counters["likes"]),
        "comments": int(counters["comments"]),
        "shares": int(counters["shares"]),
        "product_clicks": int(counters["product_clicks"]),
        "orders": int(counters["orders"]),
        "paid_orders": int(counters["paid_orders"]),
        "gmv_cents": gmv,
        "refunds": int(counters["refunds"]),
        "refund_cents": int(counters["refund_cents"]),
        "net_gmv_cents": gmv - int(counters["refund_cents"]),
        "gpm_cents": gpm_cents(gmv, int(counters["enters"])),
        "uv_value_cents": uv_value_cents(gmv, viewers),
        "conversion_bp": conversion_bp(int(counters["payers"]), viewers),
    }


def funnel(counters: Mapping[str, int], exposures: int = 0) -> list[dict[str, int | str]]:
    """Exposure → enter → product click → order → paid, in distinct people; each step's
    rate is of the step before it (exposures are the distinct viewers the feeds showed
    the session to; the first step has no rate)."""
    values = [
        exposures,
        int(counters["viewers"]),
        int(counters["clickers"]),
        int(counters["orderers"]),
        int(counters["payers"]),
    ]
    steps: list[dict[str, int | str]] = []
    for index, (step, value) in enumerate(zip(FUNNEL_STEPS, values, strict=True)):
        before = values[index - 1] if index > 0 else 0
        steps.append({"step": step, "value": value, "rate_bp": ratio(value, before, 10_000)})
    return steps


def segments(counters: Mapping[str, int]) -> dict[str, dict[str, int]]:
    """Fans, non-fans and first-time buyers."""
    return {
        "fans": {
            "viewers": int(counters["fan_viewers"]),
            "gmv_cents": int(counters["fan_gmv_cents"]),
        },
        "non_fans": {
            "viewers": int(counters["viewers"]) - int(counters["fan_viewers"]),
            "gmv_cents": int(counters["gmv_cents"]) - int(counters["fan_gmv_cents"]),
        },
        "first_time_buyers": {
            "buyers": int(counters["new_buyers"]),
            "gmv_cents": int(counters["new_buyer_gmv_cents"]),
        },
    }


def online_curve(enters: list[int], leaves: list[int]) -> list[int]:
    """Viewers online at the end of each minute: entries so far minus departures so far."""
    curve: list[int] = []
    online = 0
    for came, went in zip(enters, leaves, strict=True):
        online = max(online + came - went, 0)
        curve.append(online)
    return curve
