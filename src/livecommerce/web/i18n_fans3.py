"""Interface strings of the team's service and selection tools and fan messages to the
buyers of a product, in zh and en."""

from __future__ import annotations

FANS3_STRINGS: dict[str, tuple[str, str]] = {
    "share.stats_follows": (
        "已有 {visitors} 人通过你的链接进来，{follows} 人关注，{buyers} 人下单",
        "{visitors} came through your link, {follows} followed, {buyers} bought",
    ),
    "fanmsg.product_buyers": ("某件商品的买家", "Buyers of a product"),
    "fanmsg.product": ("商品", "Product"),
    "fanmsg.no_products": ("直播间还没有卖出商品", "Nothing sold in this room yet"),
    "fanmsg.product_option": ("{title}（{n} 人买过）", "{title} ({n} bought)"),
    "team.action.message_buyer": ("联系买家", "messaged a buyer"),
    "team.action.refund_request": ("申请退款", "requested a refund"),
    "team.action.marketplace": ("浏览选品广场", "browsed the marketplace"),
    "team.action.sample_request": ("申请样品", "requested a sample"),
}
