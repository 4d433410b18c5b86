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
    # The merchant's audiences and targeting campaigns (物找人)
    "audience.title": ("人群与定向投放", "Audiences and targeting"),
    "audience.open": ("人群与定向投放", "Audiences and targeting"),
    "audience.back": ("返回商家后台", "Back to the merchant console"),
    "audience.intro": (
        "为商品圈出最可能感兴趣的人（按画像筛选），给他们发消息或优惠券；随机留出一部分人不投放作对照，"
        "之后比较两组的浏览和购买，看投放带来的提升。你只会看到人数和画像，看不到具体是谁。",
        "Pick the people most likely to want a product (narrowed by their profiles) and send "
        "them a message or a coupon; a random hold-out is left alone, so you later see how much "
        "more the targeted people viewed or bought. You see sizes and profiles, never who.",
    ),
    "audience.back_host": ("返回主播后台", "Back to the host console"),
    "audience.intro_host": (
        "为即将开始的直播圈出最可能来看的人（按购物车商品的潜在人群和画像筛选，已预约的人除外），"
        "给他们发开播邀请或优惠券；随机留出一部分人不投放作对照，之后比较两组的预约和进入直播间，"
        "看邀请带来的提升。你只会看到人数和画像，看不到具体是谁。",
        "Pick the people most likely to watch an upcoming session (the likeliest people of the "
        "products in its showcase, narrowed by their profiles; those who reserved already are "
        "left out) and send them an invitation or a coupon; a random hold-out is left alone, "
        "so you later see how many more of the invited reserved or came in. You see sizes and "
        "profiles, never who.",
    ),
    "audience.session": ("直播场次", "Session"),
    "audience.invite": ("邀请观众", "Invite viewers"),
    "audience.message_hint_host": (
        "例：周六晚八点开播，预约的人有福袋",
        "e.g. Live on Saturday at 8 pm: a lucky bag for everyone who reserves",
    ),
    "audience.no_sessions": (
        "你还没有即将开始的直播：先在主播后台创建一场，并把商品加进购物车。",
        "You have no upcoming session: schedule one in the host console and add products "
        "to its showcase first.",
    ),
    "audience.session_option": ("{title}（{when}）", "{title} ({when})"),
    "audience.session_live": ("{title}（直播中）", "{title} (live now)"),
    "audience.converted_session": (
        "{converted}/{size} 人预约或进入直播间（{rate}）",
        "{converted} of {size} reserved or came in ({rate})",
    ),
    "audience.build": ("圈选人群", "Build an audience"),
    "audience.product": ("商品", "Product"),
    "audience.no_products": (
        "你还没有在售商品：先在商家后台上架商品。",
        "You have no products on sale yet: put one on sale in the merchant console first.",
    ),
    "audience.interest": ("兴趣品类", "Interest"),
    "audience.any": ("不限", "Any"),
    "audience.price_band": ("常买价位", "Usual price band"),
    "audience.buyers": ("购买情况", "Buyers"),
    "audience.buyers.all": ("不限", "Anyone"),
    "audience.buyers.new": ("还没下过单", "Not bought yet"),
    "audience.buyers.returning": ("下过单的回头客", "Bought before"),
    "audience.size": ("最多人数", "At most (people)"),
    "audience.preview": ("查看人群", "Preview the audience"),
    "audience.people": ("{n} 人", "{n} people"),
    "audience.size_line": ("符合条件的人群：{n} 人", "This audience: {n} people"),
    "audience.empty": (
        "没有符合条件的人：换个商品或放宽条件。推荐模型每隔一段时间根据新行为重新训练。",
        "Nobody fits: choose another product or widen the filters. The model retrains "
        "from new behaviour every so often.",
    ),
    "audience.mix": ("兴趣构成", "Interest mix"),
    "audience.bands": ("常买价位", "Price bands bought"),
    "audience.new_returning": (
        "新客 {new} 人 · 回头客 {returning} 人",
        "{new} new · {returning} returning",
    ),
    "audience.target": ("定向投放", "Target this audience"),
    "audience.message": ("消息内容", "Message"),
    "audience.message_hint": (
        "例：新茶上市，给你留了一张券",
        "e.g. New season tea: a coupon for you",
    ),
    "audience.coupon": ("附带优惠券", "Coupon"),
    "audience.no_coupon": ("不发券，只发消息", "No coupon, message only"),
    "audience.holdout": ("对照组比例", "Hold-out share"),
    "audience.split": (
        "最多给 {target} 人发送；另随机留出最多 {holdout} 人不投放，作对照。"
        "关闭了个性化推荐或营销消息的人不会收到。",
        "Up to {target} people will get it; up to {holdout} more, chosen at random, are "
        "held out and get nothing, for comparison. People who switched personalisation "
        "or marketing messages off are not reached.",
    ),
    "audience.launch": ("开始投放", "Launch the campaign"),
    "audience.launched": (
        "已投放：{target} 人，实际送达 {reached} 人",
        "Launched: {target} people, {reached} reached",
    ),
    "audience.campaigns": ("投放效果", "Campaign results"),
    "audience.refresh": ("刷新", "Refresh"),
    "audience.more": ("更多", "More"),
    "audience.no_campaigns": ("还没有投放。", "No campaigns yet."),
    "audience.targeted": ("投放组", "Targeted"),
    "audience.held_out": ("对照组", "Hold-out"),
    "audience.converted": (
        "{converted}/{size} 人浏览或购买（{rate}）",
        "{converted} of {size} viewed or bought ({rate})",
    ),
    "audience.uplift": ("提升 {pp} 个百分点", "Uplift {pp} percentage points"),
    "audience.relative": ("（相对 {pct}）", " ({pct} relative)"),
    "audience.reached": ("送达 {n} 人", "{n} reached"),
    "audience.with_coupon": ("附券", "with coupon"),
    "audience.filters": ("条件：{text}", "Filters: {text}"),
    "audience.no_filters": ("全部可能感兴趣的人", "Everyone likely to be interested"),
    "audience.since": ("投放于 {when}", "Sent {when}"),
}
