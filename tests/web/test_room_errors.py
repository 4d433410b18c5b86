"""The live room shows every error its WebSocket sends in the page's language: live.js
maps an error's ``code`` to the ``err.<code>`` sentence of the embedded dictionary."""

from __future__ import annotations

import ast
from pathlib import Path

from livecommerce.web.i18n import MESSAGES

SRC = Path(__file__).resolve().parents[2] / "src" / "livecommerce"


def _codes_sent(tree: ast.AST, function: str | None = None) -> set[str]:
    """Literal error codes in ``_error(client, CODE, ...)``, ``refuse(ws, CODE, ...)``
    and ``code=CODE`` (inside ``function`` only, when given)."""
    if function is not None:
        tree = next(
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef) and node.name == function
        )
    codes: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        if name in ("_error", "refuse") and len(node.args) >= 2:
            argument = node.args[1]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                codes.add(argument.value)
        for keyword in node.keywords:
            if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                codes.add(str(keyword.value.value))
    return codes


def _parse(relative: str) -> ast.AST:
    return ast.parse((SRC / relative).read_text(encoding="utf-8"))


def room_error_codes() -> set[str]:
    return (
        _codes_sent(_parse("realtime/connection.py"))
        | _codes_sent(_parse("realtime/endpoints.py"))
        | _codes_sent(_parse("realtime/service.py"), "do_send_chat")
        | _codes_sent(_parse("realtime/service.py"), "check_chat_rate")
        # refused at connect: the session does not exist (live/service.py)
        | {"live_session_not_found"}
    )


def test_the_scan_finds_the_chat_refusals() -> None:
    codes = room_error_codes()
    expected = {"muted", "rate_limited", "blocked_word", "too_long", "bad_message"}
    assert expected | {"not_authenticated", "session_ended", "origin_not_allowed"} <= codes


def test_every_room_error_has_a_sentence_in_both_languages() -> None:
    missing = {
        code
        for code in room_error_codes()
        if not MESSAGES["zh"].get(f"err.{code}") or not MESSAGES["en"].get(f"err.{code}")
    }
    assert missing == set()
    for code in room_error_codes():
        assert MESSAGES["zh"][f"err.{code}"] != MESSAGES["en"][f"err.{code}"], code


def test_the_room_never_shows_the_servers_english_sentence() -> None:
    script = (SRC / "web" / "static" / "js" / "live.js").read_text(encoding="utf-8")
    start = script.index("function messageFor(")
    body = script[start : script.index("\n}\n", start)]
    assert "`err.${error.code}`" in body
    assert "error.message" not in body
    assert 't("err.server_error")' in body
