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
}
