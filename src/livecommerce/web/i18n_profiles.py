"""Interface strings of profiles (画像) and recommendations, in zh and en."""

from __future__ import annotations

PROFILE_STRINGS: dict[str, tuple[str, str]] = {
    "profile.title": ("我的画像", "My profile"),
    "profile.menu": ("我的画像", "My profile"),
    "profile.intro": (
        "这是平台根据你的浏览、观看和购买了解到的你。只有你能看到这一页。",
        "This is what the platform has learnt from what you browse, watch and buy. "
        "Only you can see this page.",
    ),
    "profile.empty": (
        "我们还不了解你：逛逛商品、看看直播，这里会用大白话写下你的偏好。",
        "We know nothing about you yet: browse products and watch live rooms, "
        "and this page will say in plain words what you like.",
    ),
    "profile.interests": ("你最近常看的品类：{names}", "Lately you look at: {names}"),
    "profile.tags": ("你喜欢的直播类型：{names}", "Live rooms you enjoy: {names}"),
    "profile.hosts": ("你常去的直播间：{names}", "Rooms you often visit: {names}"),
    "profile.price_band": ("你常买的价位：{band}", "You usually buy at {band}"),
    "profile.orders": (
        "你已下单 {n} 次，共 {money}。",
        "You have placed {n} orders, {money} in all.",
    ),
    "profile.orders_none": ("你还没有下过单。", "You have not bought anything yet."),
    "profile.last_order": ("最近一次下单：{when}", "Your last order: {when}"),
    "profile.hours": ("你常在这些时段来逛（UTC）：{hours}", "You usually come by (UTC): {hours}"),
    "profile.fan_clubs": ("你加入的粉丝团：{names}", "Fan clubs you belong to: {names}"),
    "profile.events": ("已记录的行为：{n} 条", "Behaviour recorded: {n} events"),
    "profile.band.under_50": ("50 元以下", "under ¥50"),
    "profile.band.50_200": ("50–200 元", "¥50–200"),
    "profile.band.200_1000": ("200–1000 元", "¥200–1,000"),
    "profile.band.over_1000": ("1000 元以上", "over ¥1,000"),
    "profile.personalised": ("个性化推荐", "Personalised recommendations"),
    "profile.personalised_on": (
        "已开启：首页和商品页按你的画像推荐。",
        "On: the home and product pages recommend from your profile.",
    ),
    "profile.personalised_off": (
        "已关闭：你只会看到大家都喜欢的热门推荐。",
        "Off: you only see what is popular with everyone.",
    ),
    "profile.turn_off": ("关闭个性化推荐", "Turn personalisation off"),
    "profile.turn_on": ("开启个性化推荐", "Turn personalisation on"),
    "profile.erase_title": ("清除行为记录", "Erase my behaviour history"),
    "profile.erase_body": (
        "删除你的全部浏览、观看和购买行为记录以及画像，无法恢复。订单本身不受影响。",
        "Deletes every record of what you browsed, watched and bought, and your profile. "
        "This cannot be undone. Your orders themselves stay.",
    ),
    "profile.erase": ("清除全部记录", "Erase everything"),
    "profile.erase_confirm": ("确定清除全部行为记录吗？", "Erase your whole behaviour history?"),
    "profile.erased": ("已清除 {n} 条记录", "{n} records erased"),
    "recommend.for_you": ("猜你喜欢", "You may like"),
    "recommend.also": ("看过这件的人还看了", "People who viewed this also viewed"),
    "recommend.rooms": ("为你推荐的直播间", "Live rooms for you"),
}
