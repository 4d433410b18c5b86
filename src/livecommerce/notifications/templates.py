"""What each kind of notification says, in Simplified Chinese and English.

A notification stores its template name and plain parameters, never rendered text,
so the inbox and the e-mail speak the reader's language of the moment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from livecommerce.models import NotificationCategory


@dataclass(frozen=True)
class Template:
    category: NotificationCategory
    title: tuple[str, str]  # (zh, en)
    body: tuple[str, str]


_REMINDERS = NotificationCategory.REMINDERS
_ORDERS = NotificationCategory.ORDER_UPDATES

TEMPLATES: dict[str, Template] = {
    "session_soon": Template(
        _REMINDERS,
        ("你预约的直播即将开始", "Starting soon: a session you reserved"),
        (
            "「{title}」（{room}）将在 {minutes} 分钟后开播。",
            "{room}: “{title}” starts in {minutes} minutes.",
        ),
    ),
    "session_live": Template(
        _REMINDERS,
        ("你预约的直播开播了", "Live now: a session you reserved"),
        (
            "「{title}」（{room}）正在直播，快来看看吧。",
            "{room}: “{title}” is live now. Come and watch.",
        ),
    ),
    "session_late": Template(
        _REMINDERS,
        ("你预约的直播推迟了", "Running late: a session you reserved"),
        (
            "「{title}」（{room}）已超过预定开播时间 {minutes} 分钟仍未开始，开播时会再通知你。",
            "{room}: “{title}” has not started {minutes} minutes after its planned time. "
            "We will tell you when it goes live.",
        ),
    ),
    "session_cancelled": Template(
        _REMINDERS,
        ("你预约的直播已取消", "Cancelled: a session you reserved"),
        ("「{title}」（{room}）已取消。", "{room}: “{title}” was cancelled."),
    ),
    "order_paid": Template(
        _ORDERS,
        ("订单已支付", "Order paid"),
        ("订单 {order} 已支付，金额 {amount}。", "Order {order} is paid: {amount}."),
    ),
    "order_shipped": Template(
        _ORDERS,
        ("订单已发货", "Order shipped"),
        (
            "订单 {order} 已由 {carrier} 发出，运单号 {tracking}。",
            "Order {order} was shipped with {carrier}, tracking number {tracking}.",
        ),
    ),
    "order_refunded": Template(
        _ORDERS,
        ("订单已退款", "Order refunded"),
        ("订单 {order} 已全额退款 {amount}。", "Order {order} was refunded in full: {amount}."),
    ),
    # An invitation to a room's team (live/team.py): the link is the notification's. Its
    # own category, so its e-mail's unsubscribe link stops team invitations, nothing else.
    "staff_invite": Template(
        NotificationCategory.TEAM,
        ("直播间团队邀请", "An invitation to a room's team"),
        (
            "「{room}」邀请你担任{role_zh}，打开链接接受邀请。",
            "{room} invites you to its team as {role_en}. Open the link to accept.",
        ),
    ),
    # Pre-sales (c2b).
    "presale_succeeded": Template(
        _ORDERS,
        ("预售成团", "Pre-sale confirmed"),
        (
            "「{title}」已达到起订量，将按期生产发货。",
            "“{title}” reached its minimum order: it will be made and shipped.",
        ),
    ),
    "presale_balance_due": Template(
        _ORDERS,
        ("请支付尾款", "Balance due"),
        (
            "「{title}」已成团，请在截止时间前支付尾款 {amount}。",
            "“{title}” reached its minimum order. Please pay the balance of {amount} in time.",
        ),
    ),
    "presale_failed": Template(
        _ORDERS,
        ("预售未成团，已退款", "Pre-sale did not fill: refunded"),
        (
            "「{title}」未达到起订量，你的付款已原路退回。",
            "“{title}” did not reach its minimum order. Your payment goes back to you.",
        ),
    ),
    "presale_refunded": Template(
        _ORDERS,
        ("预售付款已退回", "Pre-sale payment refunded"),
        (
            "「{title}」已截止，你的付款到账较晚，已原路退回。",
            "“{title}” had closed when your payment arrived. It goes back to you.",
        ),
    ),
    "presale_balance_refunded": Template(
        _ORDERS,
        ("尾款未付，定金已退回", "Balance unpaid: deposit refunded"),
        (
            "「{title}」的尾款未在截止前支付，定金已原路退回。",
            "The balance of “{title}” was not paid in time; your deposit goes back to you.",
        ),
    ),
    "presale_balance_forfeited": Template(
        _ORDERS,
        ("尾款未付，定金不退", "Balance unpaid: deposit kept"),
        (
            "「{title}」的尾款未在截止前支付，按预售规则定金不予退还。",
            "The balance of “{title}” was not paid in time; as the pre-sale said, "
            "the deposit is kept.",
        ),
    ),
    "production_issued": Template(
        _ORDERS,
        ("新的生产订单", "New production order"),
        ("「{title}」需要生产 {units} 件。", "“{title}”: {units} units to make."),
    ),
    "production_progress": Template(
        _ORDERS,
        ("生产进度更新", "Production update"),
        ("「{title}」：{status}", "“{title}”: {status}"),
    ),
    "production_delivery": Template(
        _ORDERS,
        ("工厂已送货", "Factory delivery"),
        (
            "「{title}」送达 {units} 件，累计 {delivered} 件。",
            "“{title}”: {units} units delivered, {delivered} in all.",
        ),
    ),
    # A room's 客服 writes to the buyer of one of the room's orders, in their own words.
    "buyer_message": Template(
        NotificationCategory.ORDER_UPDATES,
        ("{room} 客服：关于你的订单", "{room} customer service: your order"),
        ("{body}", "{body}"),
    ),
    # A message written by a person (a host to its fans, a promotion): its own words.
    "message": Template(
        NotificationCategory.FAN_MESSAGES, ("{title}", "{title}"), ("{body}", "{body}")
    ),
}


class _Missing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def render(template: str, params: Mapping[str, object], language: str) -> tuple[str, str]:
    """The title and body of a notification in ``language`` (zh or en)."""
    found = TEMPLATES.get(template)
    if found is None:
        return template, ""
    index = 1 if language == "en" else 0
    values = _Missing({key: str(value) for key, value in params.items()})
    return (
        found.title[index].format_map(values),
        found.body[index].format_map(values),
    )


def money_text(cents: int, currency: str) -> str:
    symbol = {"CNY": "¥", "USD": "$", "EUR": "€"}.get(currency)
    amount = f"{cents // 100}.{cents % 100:02d}"
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}"
