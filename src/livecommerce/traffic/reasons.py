"""The sentences of feed reasons, in zh and en (codes are the machine-readable part)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

METRIC_NAMES: dict[str, tuple[str, str]] = {
    "enter_rate": ("进入率", "enter rate"),
    "avg_watch_s": ("平均观看时长", "average watch time"),
    "like_rate": ("点赞率", "like rate"),
    "comment_rate": ("评论率", "comment rate"),
    "share_rate": ("分享率", "share rate"),
    "follow_rate": ("关注率", "follow rate"),
    "orders_per_mille": ("千次观看成交", "orders per 1,000 views"),
    "completion_rate": ("完播率", "completion rate"),
}

REASONS: dict[str, tuple[str, str]] = {
    "followed_host": ("你关注了这位主播", "You follow this host"),
    "fan_club": ("你是这个直播间的粉丝团成员", "You are in this room's fan club"),
    "shared_with_you": ("有人分享给了你", "Someone shared this room with you"),
    "interest_match": ("符合你的兴趣：{tag}", "Matches your interest {tag}"),
    "new_session": ("新开播：测试流量池第 {tier} 级", "New session: test pool tier {tier}"),
    "new_video": ("新视频：测试流量池第 {tier} 级", "New video: test pool tier {tier}"),
    "trial": ("新开播，早期观众反响好", "New, and its first viewers engage well"),
    "pool_tier": ("流量池第 {tier} 级", "Traffic pool tier {tier}"),
    "promoted": (
        "晋级第 {tier} 级流量池：{metric} {value} ≥ {threshold}",
        "Promoted to tier {tier}: {metric} {value} ≥ {threshold}",
    ),
    "popular": ("正在热播：{online} 人在看", "Popular now: {online} watching"),
    "exposure_capped": (
        "已暂缓：这个直播间的曝光已达上限",
        "Held back: this room reached its exposure cap",
    ),
    "pinned": ("运营推荐", "Featured by the platform"),
    "upcoming": ("即将开播", "Starting soon"),
    "replay": ("直播回放", "Replay of a past session"),
    "category": ("{category} 分类", "In {category}"),
    "explore": ("为你探索的新内容", "Something new to explore"),
}


def _format_metric(metric: str, value: float) -> str:
    if metric == "avg_watch_s":
        return f"{value:.0f}s"
    if metric == "orders_per_mille":
        return f"{value:.1f}"
    return f"{value * 100:.0f}%"


def reason_text(code: str, params: Mapping[str, Any], language: str) -> str:
    index = 1 if language == "en" else 0
    template = REASONS.get(code, REASONS["explore"])[index]
    values = dict(params)
    if code == "promoted":
        metric = str(values.get("metric", ""))
        values["metric"] = METRIC_NAMES.get(metric, (metric, metric))[index]
        values["value"] = _format_metric(metric, float(values.get("value", 0)))
        values["threshold"] = _format_metric(metric, float(values.get("threshold", 0)))
    try:
        return template.format_map(values)
    except (KeyError, ValueError):
        return REASONS["explore"][index]
