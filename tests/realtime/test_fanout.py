"""Pre-framed fan-out: frames encoded once, written straight to each viewer's connection."""

from __future__ import annotations

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from livecommerce.realtime.fanout import UVICORN_WS, text_frame
from livecommerce.realtime.hub import LiveHub
from tests.conftest import LiveServer
from tests.factories import sign_up
from tests.realtime.helpers import http_client, start_live_session, watch


def parse(data: bytes) -> Frame:
    reader = StreamReader()
    reader.feed_data(data)
    parser = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        frame: Frame = done.value
        return frame
    raise AssertionError("incomplete frame")


@pytest.mark.parametrize("text", ["", "宝宝们好", "x" * 125, "y" * 126, "z" * 70_000])
def test_a_text_frame_is_final_unmasked_and_carries_the_text(text: str) -> None:
    frame = text_frame(text)
    assert frame[0] == 0x81  # FIN + text
    assert frame[1] & 0x80 == 0  # server frames are not masked
    parsed = parse(frame)
    assert (parsed.opcode, parsed.fin, parsed.data) == (Opcode.TEXT, True, text.encode())


@pytest.mark.parametrize("uvicorn_ws", [UVICORN_WS, "auto"])
async def test_chat_reaches_viewers_on_either_send_path(
    live_server: LiveServer, uvicorn_ws: str
) -> None:
    hub: LiveHub = live_server.app.state.runtime.extras["hub"]
    async with http_client(live_server) as http:
        live = await start_live_session(http)
        alice = await sign_up(http, name="小红")
        bob = await sign_up(http, name="Bob")
        async with (
            watch(live_server, live.session_id, bob) as b,
            watch(live_server, live.session_id, alice) as a,
        ):
            clients = [client for room in hub._rooms.values() for client in room.clients]
            assert len(clients) == 2
            # `livecommerce serve`'s protocol offers direct writes; uvicorn's own does not.
            direct = uvicorn_ws == UVICORN_WS
            assert [client.direct for client in clients] == [direct, direct]
            assert all(client.sender is None for client in clients) is direct
            for number in range(10):
                await a.chat(f"第{number}条")
            for viewer in (a, b):
                texts = [(await viewer.next("chat"))["text"] for _ in range(10)]
                assert texts == [f"第{number}条" for number in range(10)]
            await b.send({"type": "ping"})
            assert await b.next("pong") == {"type": "pong"}
