"""docs/protocol.md documents every message type, error code and close code."""

from __future__ import annotations

from pathlib import Path

import pytest

from livecommerce.realtime.events import ClientMessage, CloseCode, ServerMessage

PROTOCOL = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text("utf-8")

ERROR_CODES = [
    "not_authenticated",
    "bad_message",
    "too_long",
    "rate_limited",
    "session_ended",
    "muted",
    "blocked_word",
    "server_error",
    "live_session_not_found",
    "origin_not_allowed",
]


@pytest.mark.parametrize("kind", list(ServerMessage))
def test_every_server_message_has_a_section(kind: ServerMessage) -> None:
    assert f"### `{kind.value}`" in PROTOCOL


@pytest.mark.parametrize("kind", list(ClientMessage))
def test_every_client_message_has_an_example(kind: ClientMessage) -> None:
    assert f'{{"type": "{kind.value}"' in PROTOCOL


@pytest.mark.parametrize("code", ERROR_CODES)
def test_every_error_code_is_listed(code: str) -> None:
    assert f"`{code}`" in PROTOCOL


@pytest.mark.parametrize("code", list(CloseCode))
def test_every_close_code_is_explained(code: CloseCode) -> None:
    assert f"| {code.value} " in PROTOCOL or f"/ {code.value} " in PROTOCOL
