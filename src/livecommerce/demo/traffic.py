"""A dozen more hosts for the home feed: rooms in several categories with live, upcoming
and ended sessions, so the recommend, follow and category tabs all mean something."""

from __future__ import annotations

from datetime import timedelta

import httpx

from livecommerce.demo.world import _check, api_token, bearer, ensure_account
from livecommerce.kit.clock import utcnow
from livecommerce.kit.runtime import Runtime
from livecommerce.models import Role

# (host name, room name, bio, tags, [(title, state)]); state: live | upcoming | ended
FEED_HOSTS: list[tuple[str, str, str, list[str], list[tuple[str, str]]]] = [
    (
        "美妆阿May",
        "阿May美妆间",
        "敏感肌十年，只讲成分不讲玄学。",
        ["美妆", "护肤"],
        [("早春护肤 · 敏感肌专场", "live"), ("防晒测评", "ended")],
    ),
    (
        "穿搭小鹿",
        "小鹿的衣橱",
        "小个子穿搭，通勤也能好看。",
        ["服饰", "穿搭"],
        [("春装上新 · 小个子穿搭", "live"), ("周末连衣裙专场", "upcoming")],
    ),
    (
        "吃货大熊",
        "大熊零食铺",
        "全国各地的好吃的，我先替你尝。",
        ["食品", "零食"],
        [("云南鲜花饼现烤", "live"), ("夜宵零食节", "upcoming")],
    ),
    (
        "茶人老周",
        "老周茶舍",
        "武夷山岩茶世家，亲自焙火。",
        ["茶叶", "岩茶"],
        [("大红袍焙火现场", "live"), ("春茶开采预告", "upcoming")],
    ),
    (
        "数码阿杰",
        "阿杰数码实验室",
        "不恰饭的真实测评。",
        ["数码", "耳机"],
        [("降噪耳机横评", "live"), ("手机影像对比", "ended")],
    ),
    (
        "家居小满",
        "小满的家",
        "小户型收纳与好物。",
        ["家居", "收纳"],
        [("收纳神器一小时", "ended"), ("厨房好物专场", "upcoming")],
    ),
    (
        "宝妈静静",
        "静静母婴严选",
        "两个娃的妈，用过才推荐。",
        ["母婴", "辅食"],
        [("宝宝辅食工具", "live")],
    ),
    (
        "珠宝阿琳",
        "阿琳珠宝工作室",
        "天然淡水珍珠，源头直发。",
        ["珠宝", "珍珠"],
        [("珍珠现场开蚌", "live"), ("金饰婚嫁专场", "ended")],
    ),
    (
        "运动阿凯",
        "阿凯运动馆",
        "跑者阿凯，跑鞋与装备。",
        ["服饰", "运动"],
        [("跑鞋选购指南", "upcoming"), ("马拉松装备", "ended")],
    ),
    (
        "零食小苹果",
        "小苹果零食屋",
        "进口零食平价买。",
        ["食品", "进口"],
        [("进口巧克力专场", "live")],
    ),
    (
        "茶姑娘小雅",
        "小雅的茶园",
        "安吉白茶自家茶园。",
        ["茶叶", "白茶"],
        [("安吉白茶开园", "upcoming"), ("白茶品鉴", "ended")],
    ),
    (
        "美妆Kiki",
        "Kiki彩妆研究所",
        "新手化妆一步一步来。",
        ["美妆", "彩妆"],
        [("新手底妆教学", "live"), ("口红试色", "upcoming")],
    ),
]


def feed_host_email(index: int) -> str:
    return f"host{index + 1}@feed.demo.livecommerce.local"


async def seed_feed_hosts(http: httpx.AsyncClient, runtime: Runtime, viewer_token: str) -> None:
    """Idempotent: a host that has its room already is left as it is. The demo viewer
    follows three of them, so the follow tab has live, upcoming and replay items."""
    viewer = bearer(viewer_token)
    for index, (host_name, room_name, bio, tags, sessions) in enumerate(FEED_HOSTS):
        email = feed_host_email(index)
        await ensure_account(runtime, email, host_name, Role.HOST)
        host = bearer(await api_token(http, email))
        mine = await http.get("/api/v1/rooms/mine", headers=host)
        if mine.status_code == 200:
            continue
        room = _check(
            await http.post(
                "/api/v1/rooms", headers=host, json={"name": room_name, "bio": bio, "tags": tags}
            )
        )
        # Ended sessions first: a room has one session on air at a time.
        ordered = sorted(sessions, key=lambda item: ("ended", "live", "upcoming").index(item[1]))
        for offset, (title, state) in enumerate(ordered):
            planned = utcnow() + (
                timedelta(hours=2 + index + offset) if state == "upcoming" else timedelta(0)
            )
            session = _check(
                await http.post(
                    f"/api/v1/rooms/{room['id']}/sessions",
                    headers=host,
                    json={"title": title, "planned_start_at": planned.isoformat()},
                )
            )
            if state in ("live", "ended"):
                _check(
                    await http.post(f"/api/v1/live-sessions/{session['id']}/start", headers=host)
                )
            if state == "ended":
                _check(await http.post(f"/api/v1/live-sessions/{session['id']}/end", headers=host))
        if index in (0, 3, 5):
            _check(await http.post(f"/api/v1/rooms/{room['id']}/follow", headers=viewer))


async def feed_live_streams(http: httpx.AsyncClient) -> list[tuple[str, str, str]]:
    """The feed hosts' sessions on air, as (host token, room id, session id): the demo
    publishes a video for each, so no room is shown live without one."""
    streams = []
    for index, (_, _, _, _, sessions) in enumerate(FEED_HOSTS):
        if not any(state == "live" for _, state in sessions):
            continue
        token = await api_token(http, feed_host_email(index))
        mine = await http.get("/api/v1/rooms/mine", headers=bearer(token))
        if mine.status_code != 200:
            continue
        room_id = mine.json()["id"]
        listed = await http.get(
            f"/api/v1/rooms/{room_id}/sessions", params={"limit": 20}, headers=bearer(token)
        )
        for item in _check(listed)["items"]:
            if item["status"] == "live":
                streams.append((token, room_id, str(item["id"])))
    return streams
