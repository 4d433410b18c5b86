"""Interface strings of share links and the host's team, in zh and en."""

from __future__ import annotations

FANS2_STRINGS: dict[str, tuple[str, str]] = {
    "share.title": ("分享直播间", "Share this live room"),
    "share.hint": (
        "通过你的链接进来的朋友和他们的下单都会记在你名下。",
        "Friends who come through your link, and what they buy, are counted for you.",
    ),
    "share.link": ("你的分享链接", "Your share link"),
    "share.copy": ("复制链接", "Copy the link"),
    "share.stats": (
        "已有 {visitors} 人通过你的链接进来，{buyers} 人下单",
        "{visitors} came through your link, {buyers} bought",
    ),
    "live.privileges_lost": (
        "你已不再是这个直播间的场控",
        "You are no longer a moderator of this room",
    ),
    "team.invite_title": ("直播间团队邀请", "An invitation to a room's team"),
    "team.invite_body": ("「{room}」邀请你担任{role}", "{room} invites you to its team as {role}"),
    "team.role.moderator": ("场控", "moderator (场控)"),
    "team.role.service": ("客服", "customer service (客服)"),
    "team.role.selection": ("选品", "selection (选品)"),
    "team.role_does.moderator": (
        "可以管理评论和禁言、讲解商品、发起秒杀、抽奖和发券、回答提问。",
        "You may moderate chat, pin products, run flash sales, lotteries and coupons, "
        "and answer questions.",
    ),
    "team.role_does.service": (
        "可以查看直播间的订单并回答提问。",
        "You may see the room's orders and answer questions.",
    ),
    "team.role_does.selection": (
        "可以管理直播间的橱窗商品。",
        "You may manage the room's showcase.",
    ),
    "team.expires": ("邀请有效期至", "The invitation expires"),
    "team.accept": ("接受邀请", "Accept the invitation"),
    "team.accepted": ("你已加入这个直播间的团队。", "You joined the room's team."),
    "team.open_room": ("去主播主页", "Go to the host's page"),
    "team.invite_invalid": (
        "这个邀请不存在或已撤回。",
        "This invitation does not exist or was withdrawn.",
    ),
}
