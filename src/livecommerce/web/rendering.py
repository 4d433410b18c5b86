"""Jinja2 rendering for the server-side pages: language, signed-in user, security headers."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit, urlunsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from livecommerce import __version__
from livecommerce.accounts.dependencies import OptionalUser
from livecommerce.kit.http import get_runtime
from livecommerce.kit.money import format_money
from livecommerce.live.team import team_service
from livecommerce.models import Role, User
from livecommerce.web.i18n import LANG_COOKIE, MESSAGES, pick_language, translate

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

environment = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters["money"] = format_money


def static_url(path: str) -> str:
    """A static file's URL with a version stamp so browsers pick up new code."""
    try:
        stamp = str(int((STATIC_DIR / path).stat().st_mtime))
    except OSError:
        stamp = __version__
    return f"/static/{quote(path)}?v={stamp}"


environment.globals["static"] = static_url

HOST_ROLES = frozenset({Role.HOST, Role.MERCHANT, Role.PLATFORM_ADMIN})
MERCHANT_ROLES = frozenset({Role.MERCHANT, Role.PLATFORM_ADMIN})


def safe_next(value: str | None, default: str = "/") -> str:
    """Only same-site paths: ``/orders`` yes, ``//evil.example``, ``/%09/evil.example`` or
    ``https://…`` no. The value is parsed as a URL the way a browser would read it (tabs and
    new lines dropped, backslashes as slashes) and must have neither scheme nor host."""
    if not value:
        return default
    if any(unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in value):
        return default
    value = value.replace("\\", "/")
    if value.startswith("//"):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return default
    if parts.path.startswith("//"):
        return default
    return urlunsplit(("", "", parts.path, parts.query, parts.fragment))


def _content_security_policy(request: Request) -> str:
    host = request.headers.get("host", "")
    websocket_origins = f"ws://{host} wss://{host}" if host else ""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        "img-src 'self' data: blob:; media-src 'self' blob:; "
        f"connect-src 'self' {websocket_origins}; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


@dataclass
class Page:
    request: Request
    user: User | None
    lang: str
    data: dict[str, Any] = field(default_factory=dict)
    # Whether the user is on some room's team (场控/客服/选品): the menu shows "团队".
    works_in_team: bool = False

    def t(self, key: str, **values: object) -> str:
        return translate(self.lang, key, **values)

    @property
    def is_host(self) -> bool:
        return self.user is not None and self.user.role in HOST_ROLES

    @property
    def shows_team(self) -> bool:
        """The menu's team entry: a host (its room's team) or a team member."""
        return self.user is not None and (self.user.role == Role.HOST or self.works_in_team)

    @property
    def is_merchant(self) -> bool:
        return self.user is not None and self.user.role in MERCHANT_ROLES

    def login_redirect(self) -> RedirectResponse:
        path = self.request.url.path
        if self.request.url.query:
            path += "?" + self.request.url.query
        return RedirectResponse(f"/login?next={quote(path, safe='')}", status_code=303)

    def render(self, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
        user = self.user
        page_data = {
            "lang": self.lang,
            "user": None
            if user is None
            else {"id": user.id, "display_name": user.display_name, "role": user.role},
            **self.data,
        }
        html = environment.get_template(template).render(
            page=self,
            t=self.t,
            lang=self.lang,
            user=user,
            path=self.request.url.path,
            messages=MESSAGES[self.lang],
            page_data=page_data,
            status_code=status_code,
            **context,
        )
        response = HTMLResponse(html, status_code=status_code)
        response.headers["Content-Security-Policy"] = _content_security_policy(self.request)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cache-Control"] = "no-store"
        return response

    def not_found(self, message_key: str = "error.not_found_title") -> HTMLResponse:
        return self.render(
            "error.html",
            status_code=404,
            heading=self.t(message_key),
            body=self.t("error.not_found_body"),
        )

    def forbidden(self) -> HTMLResponse:
        return self.render(
            "error.html",
            status_code=403,
            heading=self.t("error.forbidden_title"),
            body=self.t("error.forbidden_body"),
        )


async def get_page(request: Request, user: OptionalUser) -> Page:
    language = pick_language(
        request.cookies.get(LANG_COOKIE),
        user.locale if user is not None else None,
        request.headers.get("accept-language"),
    )
    works_in_team = False
    if user is not None and user.role != Role.HOST:
        async with get_runtime(request).db.reader_sessionmaker() as session:
            works_in_team = await team_service.works_anywhere(session, user)
    return Page(request=request, user=user, lang=language, works_in_team=works_in_team)


PageDep = Annotated[Page, Depends(get_page)]
