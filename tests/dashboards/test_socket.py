"""The session dashboard's WebSocket: the dashboard at once and as it moves; refusals
say why and close."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import websockets

from tests.conftest import LiveServer
from tests.factories import sign_up
from tests.orders.shop import Listing, buyer_with_address, pay, place_order
from tests.realtime.helpers import TIMEOUT, close_code, http_client
from tests.web.scenario import build_live_shop


async def _next_dashboard(socket: Any, check: Any) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT))
        assert message["type"] == "dashboard", message
        if check(message["dashboard"]):
            return dict(message["dashboard"])


async def test_the_host_is_sent_the_dashboard_as_it_moves(live_server: LiveServer) -> None:
    async with http_client(live_server) as http:
        shop = await build_live_shop(http)
        sku = shop.product["skus"][0]
        listing = Listing(shop.merchant, shop.product["id"], sku["id"], sku["price_cents"])
        buyer, address = await buyer_with_address(http, "阿明")
        url = f"{live_server.ws_url}/ws/dashboards/sessions/{shop.session_id}"
        async with websockets.connect(f"{url}?token={shop.host.token}") as socket:
            first = await _next_dashboard(socket, lambda d: True)
            assert first["figures"]["paid_orders"] == 0
            order = await place_order(http, buyer, address, listing, session_id=shop.session_id)
            await pay(http, buyer, order["id"])
            moved = await _next_dashboard(socket, lambda d: d["figures"]["paid_orders"] == 1)
            assert moved["figures"]["gmv_cents"] == order["total_cents"]

        viewer = await sign_up(http, "viewer")
        async with websockets.connect(f"{url}?token={viewer.token}") as socket:
            refusal = json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT))
            assert (refusal["type"], refusal["code"]) == ("error", "dashboard_forbidden")
            assert await close_code(socket) == 4403
        async with websockets.connect(url) as socket:
            refusal = json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT))
            assert refusal["code"] == "not_authenticated"
            assert await close_code(socket) == 4401
