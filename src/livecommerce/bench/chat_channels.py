"""Django Channels as a peer of ``livecommerce bench chat``: the same live room written the
way Channels chat is usually written, an ``AsyncWebsocketConsumer`` in the group ``live``.

``python -m livecommerce.bench.chat_channels PORT [WORKERS] [REDIS_URL]``

Django is configured in code (``settings.configure``), so no ``DJANGO_SETTINGS_MODULE``
and no project folder are needed. The WebSocket route is ``/``; a client sends
``{"type":"chat","text":"…"}`` and every member of the room receives
``{"type":"chat","text":"…"}`` (compact JSON, text cut to 200 characters).

Without ``REDIS_URL`` the group lives in ``InMemoryChannelLayer``, which is private to
one process: WORKERS must then be 1. With ``REDIS_URL`` the workers share the group
through ``channels_redis.core.RedisChannelLayer``.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from typing import Any

GROUP = "live"
REDIS_URL_ENV = "BENCH_CHANNELS_REDIS_URL"

# Channels' defaults are 100 queued messages per channel and a 60 s expiry. Past the
# capacity a group_send skips the member (in memory) or drops its oldest message (Redis's
# per-process buffer) without telling anyone, and an expired message in memory even
# removes its consumer from every group. A few thousand viewers at 20 messages a second
# can build a backlog of 100 messages (5 s) on a loaded machine, so the bench would count
# silent losses instead of latency. With these figures a viewer has to fall 10,000
# messages or 10 minutes behind before the layer drops anything.
LAYER_CAPACITY = 10_000
LAYER_EXPIRY_S = 600


def channel_layers(redis_url: str | None) -> dict[str, Any]:
    """The ``CHANNEL_LAYERS`` setting: in memory, or Redis shared by every worker."""
    config: dict[str, Any] = {"capacity": LAYER_CAPACITY, "expiry": LAYER_EXPIRY_S}
    if not redis_url:
        return {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": config}}
    # RedisChannelLayer is the layer the Channels documentation configures for groups and
    # the one channels_redis calls stable (its pub/sub layer is still marked beta). Since
    # channels_redis 4 a group_send writes one Redis entry per worker process, listing the
    # members there, rather than one per member.
    # redis-py 8 gives every connection a 5 s socket timeout, the same 5 s for which
    # channels_redis 4.3 blocks in BZPOPMIN waiting for a message: an idle room would then
    # end its consumers with TimeoutError every few seconds. No socket timeout, as before
    # redis-py 8, lets the blocking read wait for its own timeout.
    config["hosts"] = [{"address": redis_url, "socket_timeout": None}]
    return {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": config}}


def configure_django(redis_url: str | None) -> None:
    django = importlib.import_module("django")  # the bench extra; untyped
    settings = importlib.import_module("django.conf").settings
    if not settings.configured:
        settings.configure(
            DEBUG=False,
            USE_TZ=True,
            SECRET_KEY="livecommerce-bench-chat-channels",
            ALLOWED_HOSTS=["*"],
            INSTALLED_APPS=["channels"],
            CHANNEL_LAYERS=channel_layers(redis_url),
        )
        django.setup()


def chat_frame(text: str) -> str:
    """What every member of the room receives for one chat message."""
    return json.dumps({"type": "chat", "text": text}, separators=(",", ":"), ensure_ascii=False)


def consumer_class() -> Any:
    """The room's consumer: joins ``live`` on connect; a chat goes to the whole group."""
    generic = importlib.import_module("channels.generic.websocket")

    async def connect(self: Any) -> None:
        await self.channel_layer.group_add(GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self: Any, code: int) -> None:
        await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def receive(self: Any, text_data: str | None = None, bytes_data: Any = None) -> None:
        if text_data is None:
            return
        try:
            data = json.loads(text_data)
        except ValueError:
            return
        if not isinstance(data, dict) or data.get("type") != "chat":
            return
        text = data.get("text")
        if not isinstance(text, str):
            return
        await self.channel_layer.group_send(GROUP, {"type": "chat.message", "text": text[:200]})

    async def chat_message(self: Any, event: dict[str, Any]) -> None:
        await self.send(text_data=chat_frame(event["text"]))

    return type(
        "LiveRoomConsumer",
        (generic.AsyncWebsocketConsumer,),
        {
            "connect": connect,
            "disconnect": disconnect,
            "receive": receive,
            "chat_message": chat_message,
        },
    )


def channels_app() -> Any:
    """The ASGI application uvicorn serves in each worker (``factory=True``)."""
    configure_django(os.environ.get(REDIS_URL_ENV) or None)
    routing = importlib.import_module("channels.routing")
    urls = importlib.import_module("django.urls")
    return routing.ProtocolTypeRouter(
        {"websocket": routing.URLRouter([urls.path("", consumer_class().as_asgi())])}
    )


def main() -> None:
    from livecommerce.bench.chat_peers import serve_peer

    if len(sys.argv) < 2:
        sys.exit("usage: python -m livecommerce.bench.chat_channels PORT [WORKERS] [REDIS_URL]")
    port = int(sys.argv[1])
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    redis_url = sys.argv[3] if len(sys.argv) > 3 else ""
    if workers > 1 and not redis_url:
        sys.exit("the in-memory channel layer is private to one process: give REDIS_URL")
    os.environ[REDIS_URL_ENV] = redis_url
    serve_peer("livecommerce.bench.chat_channels:channels_app", port, workers)


if __name__ == "__main__":
    main()
