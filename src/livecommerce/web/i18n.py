"""Interface strings in Simplified Chinese (the default) and English.

Pages pick the language from the ``lang`` cookie, else the signed-in user's
locale, else the browser's ``Accept-Language``. The same dictionary is embedded
in every page as JSON so scripts translate with the same keys.
"""

from __future__ import annotations

from collections.abc import Mapping

from livecommerce.web.i18n_partners import PARTNER_STRINGS

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LANG_COOKIE = "lang"

# key → (zh, en). ``{name}`` placeholders are filled by ``translate``.
_STRINGS: dict[str, tuple[str, str]] = {
    # site frame
    "site.name": ("直播购", "LiveShop"),
    "site.tagline": ("边看边买的直播间", "Watch live, shop live"),
    "nav.home": ("首页", "Home"),
    "nav.orders": ("我的订单", "My orders"),
    "nav.coupons": ("优惠券", "Coupons"),
    "nav.host_console": ("主播后台", "Host console"),
    "nav.merchant_console": ("商家后台", "Merchant console"),
    "nav.login": ("登录", "Log in"),
    "nav.signup": ("注册", "Sign up"),
    "nav.logout": ("退出", "Log out"),
    "nav.language": ("语言", "Language"),
    "nav.menu": ("菜单", "Menu"),
    "common.loading": ("加载中…", "Loading…"),
    "common.save": ("保存", "Save"),
    "common.saved": ("已保存", "Saved"),
    "common.cancel": ("取消", "Cancel"),
    "common.close": ("关闭", "Close"),
    "common.delete": ("删除", "Delete"),
    "common.edit": ("编辑", "Edit"),
    "common.add": ("添加", "Add"),
    "common.search": ("搜索", "Search"),
    "common.none": ("暂无", "Nothing yet"),
    "common.load_more": ("加载更多", "Load more"),
    "common.confirm": ("确定", "Confirm"),
    "common.back": ("返回", "Back"),
    "common.network_error": ("网络异常，请稍后重试", "Network problem, please try again"),
    "common.yes": ("是", "Yes"),
    "common.no": ("否", "No"),
    # errors pages
    "error.not_found_title": ("页面不存在", "Page not found"),
    "error.not_found_body": (
        "你要找的内容不存在或已被删除。",
        "What you are looking for does not exist or was removed.",
    ),
    "error.session_not_found": ("这场直播不存在", "This live session does not exist"),
    "error.payment_not_found": ("这笔支付不存在", "This payment does not exist"),
    "error.lottery_not_found": ("这个福袋不存在", "This lucky bag does not exist"),
    # my coupons and prizes
    "coupons.title": ("我的优惠券", "My coupons"),
    "coupons.available": ("可使用", "Available"),
    "coupons.used": ("已使用", "Used"),
    "coupons.expired": ("已过期", "Expired"),
    "coupons.empty": ("还没有优惠券，去直播间领取吧", "No coupons yet: claim some in a live room"),
    "coupons.from": ("来自 {name}", "From {name}"),
    "coupons.valid_until": ("有效期至 {time}", "Valid until {time}"),
    "coupons.off": ("减 {amount}", "{amount} off"),
    "coupons.percent": ("{value} 折", "{value}% off"),
    "coupons.min_spend": ("满 {amount} 可用", "On orders of {amount}+"),
    "coupons.no_minimum": ("无门槛", "No minimum"),
    "coupons.fans_only": ("粉丝专享", "Fans only"),
    "coupons.used_on": ("已用于订单 {order}", "Used on order {order}"),
    "prizes.title": ("我的奖品", "My prizes"),
    "prizes.empty": ("还没有中奖记录", "No prizes yet"),
    "prizes.won_in": ("{room} · {session}", "{room} · {session}"),
    "prizes.drawn_at": ("开奖时间 {time}", "Drawn {time}"),
    "prizes.claim": ("领取奖品", "Claim the prize"),
    "prizes.claimed": ("已领取，查看订单", "Claimed: see the order"),
    "prizes.coupon_prize": ("奖品优惠券已放入“我的优惠券”", "The prize coupon is in “My coupons”"),
    "prizes.verify": ("开奖详情与验证", "Draw details and how to verify"),
    # a lottery's public draw record
    "lottery.title": ("福袋开奖详情", "Lucky bag draw"),
    "lottery.prize": ("奖品", "Prize"),
    "lottery.winners_count": ("中奖名额", "Winners"),
    "lottery.status": ("状态", "Status"),
    "lottery.status_open": ("等待开奖", "Not drawn yet"),
    "lottery.status_drawn": ("已开奖", "Drawn"),
    "lottery.status_cancelled": ("已取消", "Cancelled"),
    "lottery.seed_hash": ("种子哈希（开奖前公布）", "Seed hash (published at launch)"),
    "lottery.seed": ("开奖种子", "Seed"),
    "lottery.entrants": ("参与人数", "Entrants"),
    "lottery.winners": ("中奖名单", "Winners"),
    "lottery.no_winners": ("无人中奖", "No winners"),
    "lottery.how": ("如何验证", "How to verify"),
    "lottery.how_body": (
        "开奖前公布的哈希等于种子的 SHA-256；中奖者由种子和参与名单唯一确定。"
        "下载开奖数据后，用下面的命令即可自行复算：",
        "The hash published at launch is the seed's SHA-256; the winners follow from the seed "
        "and the entrant list alone. Download the draw data and recompute it with:",
    ),
    "lottery.download": ("下载开奖数据（JSON）", "Download the draw data (JSON)"),
    "lottery.back": ("返回直播间", "Back to the live room"),
    "error.forbidden_title": ("没有权限", "Not allowed"),
    "error.forbidden_body": ("你的账号无法访问这个页面。", "Your account cannot open this page."),
    "error.back_home": ("回到首页", "Back to the home page"),
    # error codes returned by the API, shown instead of the English message
    "err.invalid_credentials": ("邮箱或密码错误", "Wrong e-mail or password"),
    "err.email_taken": ("该邮箱已注册", "An account with this e-mail already exists"),
    "err.not_authenticated": ("请先登录", "Please log in first"),
    "err.csrf_failed": ("页面已过期，请刷新后重试", "The page expired; reload and try again"),
    "err.out_of_stock": ("库存不足", "Out of stock"),
    "err.session_not_live": ("直播未在进行中", "The session is not live"),
    "err.not_in_showcase": (
        "该商品不在本场直播的购物袋中",
        "This product is not in this session's showcase",
    ),
    "err.rate_limited": ("发送太快了，稍等一下", "Too fast, wait a moment"),
    "err.muted": ("你已被禁言", "You are muted in this room"),
    "err.blocked_word": ("消息包含违禁词", "The message contains a blocked word"),
    "err.too_long": ("消息太长了", "The message is too long"),
    "err.bad_message": ("消息格式不正确", "Malformed message"),
    "err.invalid_order_state": ("订单状态已变化，请刷新", "The order changed; reload the page"),
    "err.role_required": ("当前账号没有这个权限", "Your account does not have this role"),
    # home
    "home.live_now": ("正在直播", "Live now"),
    "home.upcoming": ("直播预告", "Upcoming"),
    "home.no_live": ("现在没有直播，稍后再来看看吧。", "Nobody is live right now. Come back soon."),
    "home.no_upcoming": ("暂无直播预告。", "No sessions scheduled."),
    "home.online": ("{n} 人在看", "{n} watching"),
    "home.starts_at": ("开播时间", "Starts"),
    # session states
    "status.scheduled": ("预告", "Scheduled"),
    "status.live": ("直播中", "Live"),
    "status.interrupted": ("主播重连中", "Reconnecting"),
    "status.ended": ("已结束", "Ended"),
    "status.cancelled": ("已取消", "Cancelled"),
    # live room
    "live.badge": ("直播", "LIVE"),
    "live.follow": ("关注", "Follow"),
    "live.persona": ("主播主页", "About the host"),
    "live.following": ("已关注", "Following"),
    "live.followers": ("{n} 粉丝", "{n} followers"),
    "live.online": ("{n} 在线", "{n} online"),
    "live.likes": ("{n} 赞", "{n} likes"),
    "live.like": ("点赞", "Like"),
    "live.share": ("分享", "Share"),
    "live.link_copied": ("链接已复制", "Link copied"),
    "live.chat": ("聊天", "Chat"),
    "live.chat_placeholder": ("说点什么…", "Say something…"),
    "live.send": ("发送", "Send"),
    "live.login_to_chat": ("登录后参与聊天", "Log in to chat"),
    "live.pinned": ("讲解中", "Now showing"),
    "live.buy": ("去购买", "Buy"),
    "live.bag": ("购物袋", "Shop"),
    "live.bag_title": ("本场商品", "Products in this session"),
    "live.bag_empty": ("主播还没有上架商品", "No products yet"),
    "live.live_price": ("直播价", "Live price"),
    "live.stock": ("库存 {n}", "{n} in stock"),
    "live.sold_out": ("已售罄", "Sold out"),
    "live.quantity": ("数量", "Quantity"),
    "live.address": ("收货地址", "Shipping address"),
    "live.add_address": ("新增地址", "Add an address"),
    "live.no_address": ("还没有收货地址，请先添加。", "No address yet; add one first."),
    "live.choose": ("请选择{name}", "Choose {name}"),
    "live.choose_sku": ("请选择规格", "Choose an option"),
    "live.spec": ("规格", "Option"),
    "live.total": ("合计", "Total"),
    "live.place_order": ("提交订单", "Place order"),
    "live.placing": ("下单中…", "Placing the order…"),
    "live.purchase": ("{buyer} 刚刚买了 {title} ×{n}", "{buyer} just bought {title} ×{n}"),
    "live.state_scheduled": ("直播尚未开始", "The session has not started yet"),
    "live.state_interrupted": ("主播信号中断，正在重连…", "The host is reconnecting…"),
    "live.state_ended": ("直播已结束，感谢观看", "The session has ended. Thanks for watching"),
    "live.state_cancelled": ("这场直播已取消", "This session was cancelled"),
    "live.connecting": ("正在连接…", "Connecting…"),
    "live.reconnecting": ("连接断开，{s} 秒后重连…", "Disconnected, retrying in {s} s…"),
    "live.connected": ("已连接", "Connected"),
    "live.player_placeholder": ("直播画面加载中…", "Loading the live video…"),
    "live.delete_chat": ("删除", "Delete"),
    "live.mute_user": ("禁言", "Mute"),
    "live.muted_user": ("已禁言 {name}", "{name} is muted"),
    "live.system": ("系统", "System"),
    "live.welcome": ("欢迎来到直播间，请文明发言。", "Welcome! Please keep the chat friendly."),
    # auth
    "auth.login_title": ("登录", "Log in"),
    "auth.signup_title": ("注册新账号", "Create an account"),
    "auth.email": ("邮箱", "E-mail"),
    "auth.password": ("密码", "Password"),
    "auth.password_hint": ("至少 8 位", "At least 8 characters"),
    "auth.display_name": ("昵称", "Display name"),
    "auth.role": ("我是", "I am a"),
    "auth.role_viewer": ("观众：看直播、买东西", "Viewer: watch and buy"),
    "auth.role_host": ("主播：开直播、带货", "Host: go live and sell"),
    "auth.role_merchant": ("商家：上架商品、发货", "Merchant: list products and ship"),
    "auth.submit_login": ("登录", "Log in"),
    "auth.submit_signup": ("注册", "Sign up"),
    "auth.no_account": ("还没有账号？", "No account yet?"),
    "auth.have_account": ("已有账号？", "Already have an account?"),
    # roles
    "role.viewer": ("观众", "Viewer"),
    "role.host": ("主播", "Host"),
    "role.merchant": ("商家", "Merchant"),
    "role.mcn_admin": ("机构", "MCN"),
    "role.platform_admin": ("管理员", "Admin"),
    # orders
    "orders.title": ("我的订单", "My orders"),
    "orders.empty": ("还没有订单", "No orders yet"),
    "orders.number": ("订单号", "Order"),
    "orders.created": ("下单时间", "Placed"),
    "orders.pay": ("去支付", "Pay"),
    "orders.cancel": ("取消订单", "Cancel order"),
    "orders.confirm_receipt": ("确认收货", "Confirm receipt"),
    "orders.confirm_cancel": ("确定取消这个订单吗？", "Cancel this order?"),
    "orders.confirm_received": ("确认已收到货物？", "Did you receive the goods?"),
    "orders.tracking": ("物流", "Shipping"),
    "orders.ship_to": ("收货人", "Ship to"),
    "orders.pay_before": ("请在 {time} 前支付", "Pay before {time}"),
    "orders.filter_all": ("全部", "All"),
    "order_status.pending_payment": ("待付款", "Awaiting payment"),
    "order_status.paid": ("已付款", "Paid"),
    "order_status.shipped": ("已发货", "Shipped"),
    "order_status.completed": ("已完成", "Completed"),
    "order_status.cancelled": ("已取消", "Cancelled"),
    "order_status.refunded": ("已退款", "Refunded"),
    # addresses
    "address.title": ("收货地址", "Address book"),
    "address.recipient": ("收货人", "Recipient"),
    "address.phone": ("手机号", "Phone"),
    "address.region": ("省市区", "Province / city / district"),
    "address.line1": ("详细地址", "Street address"),
    "address.postal_code": ("邮编", "Postal code"),
    "address.default": ("默认", "Default"),
    "address.make_default": ("设为默认", "Make default"),
    "address.save": ("保存地址", "Save address"),
    "address.empty": ("还没有地址", "No addresses yet"),
    # pay page
    "pay.title": ("收银台（沙箱）", "Checkout (sandbox)"),
    "pay.sandbox_note": (
        "这是测试支付渠道，不会真实扣款。",
        "This is the test payment provider; no real money moves.",
    ),
    "pay.amount": ("支付金额", "Amount"),
    "pay.items": ("商品", "Items"),
    "pay.subtotal": ("商品金额", "Subtotal"),
    "pay.discount": ("优惠券", "Coupon discount"),
    "pay.pay": ("确认支付", "Pay"),
    "pay.fail": ("模拟失败", "Fail"),
    "pay.succeeded": ("支付成功", "Payment succeeded"),
    "pay.failed": ("支付失败", "Payment failed"),
    "pay.refunded": ("已退款", "Refunded"),
    "pay.pending": ("待支付", "Awaiting payment"),
    "pay.back_to_order": ("查看订单", "View the order"),
    "pay.status": ("状态", "Status"),
    # host console
    "host.title": ("主播后台", "Host console"),
    "host.room": ("直播间与人设", "Room and persona"),
    "host.create_room": ("创建直播间", "Create your room"),
    "host.room_name": ("直播间名称", "Room name"),
    "host.bio": ("简介", "Bio"),
    "host.tags": ("标签（用逗号分隔）", "Tags (comma separated)"),
    "host.catchphrase": ("口头禅", "Catchphrase"),
    "host.avatar": ("头像", "Avatar"),
    "host.upload": ("上传", "Upload"),
    "host.sessions": ("直播场次", "Sessions"),
    "host.schedule": ("预约直播", "Schedule a session"),
    "host.session_title": ("直播标题", "Session title"),
    "host.planned_start": ("计划开播时间", "Planned start"),
    "host.cover": ("封面", "Cover"),
    "host.manage": ("管理", "Manage"),
    "host.open_room": ("打开直播间", "Open the room"),
    "host.no_room": (
        "先创建直播间，再预约直播。",
        "Create your room first, then schedule sessions.",
    ),
    "host.no_sessions": ("还没有直播场次", "No sessions yet"),
    "host.start": ("开始直播", "Go live"),
    "host.end": ("结束直播", "End the session"),
    "host.confirm_end": ("确定结束这场直播吗？", "End this session?"),
    "host.showcase": ("购物袋商品", "Showcase"),
    "host.search_products": ("搜索在售商品", "Search products on sale"),
    "host.add_to_showcase": ("加入购物袋", "Add to showcase"),
    "host.live_price_yuan": ("直播价（元，可留空）", "Live price (optional)"),
    "host.pin": ("讲解", "Pin"),
    "host.unpin": ("取消讲解", "Unpin"),
    "host.remove": ("移除", "Remove"),
    "host.stats": ("实时数据", "Live stats"),
    "stats.online": ("在线人数", "Online now"),
    "stats.peak_online": ("最高在线", "Peak online"),
    "stats.viewers": ("累计观看", "Total viewers"),
    "stats.likes": ("点赞", "Likes"),
    "stats.chats": ("评论", "Chats"),
    "stats.orders": ("成交订单", "Orders"),
    "stats.gmv": ("成交金额", "GMV"),
    "host.moderation": ("直播间管理", "Moderation"),
    "host.blocked_words": ("违禁词", "Blocked words"),
    "host.add_word": ("添加违禁词", "Add a blocked word"),
    "host.mute_minutes": ("禁言分钟数（留空为永久）", "Mute minutes (empty: until lifted)"),
    "host.recent_chat": ("实时评论", "Live chat"),
    # merchant console
    "merchant.title": ("商家后台", "Merchant console"),
    "merchant.products": ("商品", "Products"),
    "merchant.new_product": ("新建商品", "New product"),
    "merchant.edit_product": ("编辑商品", "Edit product"),
    "merchant.product_title": ("商品标题", "Title"),
    "merchant.description": ("商品描述", "Description"),
    "merchant.category": ("类目", "Category"),
    "merchant.currency": ("币种", "Currency"),
    "merchant.status": ("状态", "Status"),
    "merchant.skus": ("规格（SKU）", "Options (SKUs)"),
    "merchant.spec": ("规格，如 颜色=红, 尺码=M", "Spec, e.g. colour=red, size=M"),
    "merchant.price_yuan": ("价格（元）", "Price"),
    "merchant.stock": ("库存", "Stock"),
    "merchant.add_sku": ("添加规格", "Add an option"),
    "merchant.images": ("商品图片", "Images"),
    "merchant.upload_image": ("上传图片", "Upload an image"),
    "merchant.save_first": ("保存商品后即可上传图片。", "Save the product to upload images."),
    "merchant.no_products": ("还没有商品", "No products yet"),
    "merchant.orders": ("订单", "Orders"),
    "merchant.no_orders": ("还没有订单", "No orders yet"),
    "merchant.ship": ("发货", "Ship"),
    "merchant.carrier": ("快递公司", "Carrier"),
    "merchant.tracking_number": ("快递单号", "Tracking number"),
    "product_status.draft": ("草稿", "Draft"),
    "product_status.on_sale": ("在售", "On sale"),
    "product_status.off_sale": ("已下架", "Off sale"),
}
_STRINGS.update(PARTNER_STRINGS)

MESSAGES: dict[str, dict[str, str]] = {
    language: {key: pair[index] for key, pair in _STRINGS.items()}
    for index, language in enumerate(LANGUAGES)
}


def normalize_language(value: str | None) -> str | None:
    """``zh-CN`` → ``zh``; unsupported or empty → None."""
    if not value:
        return None
    primary = value.strip().lower().replace("_", "-").split("-", 1)[0]
    return primary if primary in LANGUAGES else None


def language_from_accept(header: str | None) -> str | None:
    """The supported language the browser prefers most (``q`` weights respected)."""
    if not header:
        return None
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                weight = float(params[2:])
            except ValueError:
                weight = 0.0
        language = normalize_language(tag)
        if language is not None and weight > 0:
            choices.append((-weight, position, language))
    return min(choices)[2] if choices else None


def pick_language(cookie: str | None, user_locale: str | None, accept_language: str | None) -> str:
    return (
        normalize_language(cookie)
        or normalize_language(user_locale)
        or language_from_accept(accept_language)
        or DEFAULT_LANGUAGE
    )


def translate(language: str, key: str, **values: object) -> str:
    messages: Mapping[str, str] = MESSAGES.get(language, MESSAGES[DEFAULT_LANGUAGE])
    text = messages.get(key) or MESSAGES[DEFAULT_LANGUAGE].get(key) or key
    return text.format(**values) if values else text
