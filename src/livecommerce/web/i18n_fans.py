"""Interface strings of fan clubs and the host's persona page, in zh and en."""

from __future__ import annotations

FANS_STRINGS: dict[str, tuple[str, str]] = {
    # fan clubs (粉丝团) in the room
    "fans.club": ("粉丝团", "Fan club"),
    "fans.join": ("加入粉丝团", "Join the fan club"),
    "fans.leave": ("退出粉丝团", "Leave the fan club"),
    "fans.joined": ("已加入粉丝团", "You joined the fan club"),
    "fans.members": ("{n} 位团员", "{n} members"),
    "fans.level": ("{n} 级", "Level {n}"),
    "fans.intimacy": ("亲密度 {n}", "Intimacy {n}"),
    "fans.next_level": ("距下一级还差 {n}", "{n} to the next level"),
    "fans.max_level": ("已满级", "Top level"),
    "fans.today": ("今日已得 {n} / {cap}", "Today {n} of {cap}"),
    "fans.dimmed": (
        "灯牌已熄灭：回来看直播即可点亮",
        "Your badge is dimmed: come back to the room to light it",
    ),
    "fans.how": (
        "观看、评论、点赞、分享和购买都能提升亲密度，每项每天有上限。",
        "Watching, chatting, liking, sharing and buying raise intimacy, each up to a daily cap.",
    ),
    "fans.level_up": (
        "{name} 的粉丝团等级升到了 {level} 级！",
        "{name} reached fan level {level}!",
    ),
    "fans.buy_badge": ("购买灯牌加入", "Buy the badge to join"),
    "fans.online_title": ("在线的粉丝团成员", "Fan-club members watching now"),
    "fans.online_none": (
        "现在没有粉丝团成员在看，加入粉丝团点亮你的灯牌吧",
        "No fan-club members are watching right now; join to light your badge",
    ),
    "fans.badge_title": ("粉丝团灯牌 · {level} 级", "Fan badge · level {level}"),
    "err.own_fan_club": ("主播不能加入自己的粉丝团", "A host is not a fan of their own room"),
    "err.fan_club_badge_required": (
        "加入这个粉丝团需要购买灯牌",
        "This fan club is joined by buying its badge",
    ),
    "err.badge_product_not_yours": (
        "灯牌只能是主播自己的商品",
        "The badge must be one of the host's own products",
    ),
    "lottery.condition_fan_club": ("加入粉丝团", "Join the fan club"),
    "lottery.condition_fan_level": ("粉丝团 {n} 级以上", "Fan level {n} or above"),
    # the host's persona page (主播主页)
    "hostpage.title": ("{name} 的主页", "{name}'s page"),
    "hostpage.link": ("主播主页", "Host page"),
    "hostpage.followers": ("粉丝", "Followers"),
    "hostpage.fans": ("粉丝团", "Fan club"),
    "hostpage.catchphrases": ("口头禅", "Catchphrases"),
    "hostpage.live_now": ("正在直播", "Live now"),
    "hostpage.watch": ("进入直播间", "Watch"),
    "hostpage.upcoming": ("直播预告", "Upcoming"),
    "hostpage.no_upcoming": ("暂无直播预告", "No upcoming sessions"),
    "hostpage.reserve": ("预约", "Reserve"),
    "hostpage.reserved": ("已预约", "Reserved"),
    "hostpage.reserve_unavailable": (
        "预约功能暂未开放",
        "Reservations are not available yet",
    ),
    "hostpage.past": ("往期直播", "Past sessions"),
    "hostpage.no_past": ("还没有往期直播", "No past sessions yet"),
    "hostpage.replay": ("看回放", "Replay"),
    "hostpage.no_replay": ("无回放", "No replay"),
    "hostpage.sold": ("本场商品", "Sold in this session"),
    "hostpage.shop": ("主播小店", "The host's shop"),
    "hostpage.no_shop": ("小店还没有商品", "No products yet"),
    "hostpage.share": ("分享主页", "Share this page"),
    "hostpage.copied": ("链接已复制", "Link copied"),
    "error.host_not_found": ("这个主播不存在", "No such host"),
    # host console
    "host.catchphrases": (
        "口头禅（每行一句，最多 5 句）",
        "Catchphrases (one a line, at most 5)",
    ),
    "host.badge_name": ("粉丝团灯牌名称（最多 12 字）", "Fan badge name (at most 12 characters)"),
    "host.view_page": ("查看主播主页", "View the host page"),
}
