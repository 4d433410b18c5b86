"""The room's socket, on a real server: a 场控's hello says it may moderate, a removal
takes the tools away at once (``privileges``), and the bell counts over the same socket."""

from __future__ import annotations

from livecommerce.notifications.service import notification_service
from tests.conftest import LiveServer
from tests.factories import sign_up
from tests.realtime.helpers import http_client, start_live_session, watch
from tests.team.helpers import accept, invite, token_of


async def test_a_removed_moderator_loses_the_tools_on_the_open_socket(
    live_server: LiveServer,
) -> None:
    async with http_client(live_server) as http:
        live = await start_live_session(http)
        moderator = await sign_up(http, name="场控")
        # A link invitation: no inbox message, so the bell starts at zero.
        invited = await invite(http, live.host, live.room_id, "moderator")
        joined = await accept(http, moderator, token_of(invited))
    runtime = live_server.app.state.runtime
    async with watch(live_server, live.session_id, moderator) as socket:
        assert (socket.hello["you"]["can_moderate"], socket.hello["you"]["unread"]) == (True, 0)
        async with runtime.db.transaction() as session:
            await notification_service.notify(
                session, [moderator.id], "message", {"title": "你好", "body": "欢迎"}
            )
        assert await socket.next("unread") == {"type": "unread", "unread": 1}
        async with http_client(live_server) as http:
            removed = await http.delete(
                f"/api/v1/rooms/{live.room_id}/team/{joined['id']}", headers=live.host.headers
            )
            assert removed.status_code == 200
        assert await socket.next("privileges") == {
            "type": "privileges",
            "room_id": live.room_id,
            "role": None,
            "can_moderate": False,
        }
        async with http_client(live_server) as http:
            refused = await http.post(
                f"/api/v1/rooms/{live.room_id}/mutes",
                json={"user_id": live.host.id},
                headers=moderator.headers,
            )
            assert (refused.status_code, refused.json()["code"]) == (403, "not_room_host")
