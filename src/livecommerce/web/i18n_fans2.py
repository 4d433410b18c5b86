"""Interface strings of share links and the host's team, in zh and en."""

from __future__ import annotations

FANS2_STRINGS: dict[str, tuple[str, str]] = {
    "notify.category.team": ("团队邀请", "Team invitations"),
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
    "fanmsg.title": ("给粉丝发消息", "Message your fans"),
    "fanmsg.audience": ("发给谁", "To"),
    "fanmsg.buyers": ("下过单的人", "Buyers"),
    "fanmsg.subject": ("标题", "Title"),
    "fanmsg.body": ("内容", "Message"),
    "fanmsg.preview": ("预览人数", "Preview"),
    "fanmsg.send": ("发送", "Send"),
    "fanmsg.sizes": (
        "共 {audience} 人，其中 {reachable} 人会收到 · 今天已发 {sent}/{limit} 条",
        "{audience} people, {reachable} will receive it · {sent} of {limit} sent today",
    ),
    "fanmsg.sent": ("已发送给 {n} 人", "Sent to {n} people"),
    "team.title": ("我的团队", "My team"),
    "team.role": ("角色", "Role"),
    "team.email": ("邮箱（不填则生成邀请链接）", "E-mail (empty: a link anyone can use once)"),
    "team.invite": ("邀请", "Invite"),
    "team.link": ("邀请链接", "Invitation link"),
    "team.remove": ("移除", "Remove"),
    "team.status.invited": ("待接受", "Invited"),
    "team.status.active": ("已加入", "Active"),
    "team.log": ("团队操作记录", "What the team did"),
    "team.action.chat.moderate": ("管理评论", "moderated chat"),
    "team.action.pin": ("讲解商品", "pinned a product"),
    "team.action.flash_sale": ("秒杀", "flash sale"),
    "team.action.lottery": ("抽奖", "lottery"),
    "team.action.coupon": ("发券", "coupon drop"),
    "team.action.question": ("回答提问", "answered a question"),
    "team.action.showcase": ("管理橱窗", "showcase"),
    "team.empty": ("还没有团队成员", "No one on the team yet"),
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
        "可以查看直播间的订单、联系买家、申请退款（商家审核）并回答提问。",
        "You may see the room's orders, message buyers, request refunds (the merchant "
        "decides) and answer questions.",
    ),
    "team.role_does.selection": (
        "可以管理直播间的橱窗商品、浏览选品广场并为直播间申请样品。",
        "You may manage the room's showcase, browse the marketplace and request samples "
        "for the room.",
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
