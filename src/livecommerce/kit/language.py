"""The language of a reply: the ``lang`` cookie, else the account's locale, else the
browser's ``Accept-Language``, else Simplified Chinese. Pages and API errors pick it alike."""

from __future__ import annotations

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LANG_COOKIE = "lang"


def normalize_language(value: str | None) -> str | None:
    """``zh-CN`` → ``zh``; unsupported or empty → None."""
    if not value:
        return None
    primary = value.strip().lower().replace("_", "-").split("-", 1)[0]
    return primary if primary in LANGUAGES else None


def language_from_accept(header: str | None) -> str | None:
    """The supported language the browser prefers most (``q`` weights respected)."""
    if not header:
        return None
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                weight = float(params[2:])
            except ValueError:
                weight = 0.0
        language = normalize_language(tag)
        if language is not None and weight > 0:
            choices.append((-weight, position, language))
    return min(choices)[2] if choices else None


def pick_language(cookie: str | None, user_locale: str | None, accept_language: str | None) -> str:
    return (
        normalize_language(cookie)
        or normalize_language(user_locale)
        or language_from_accept(accept_language)
        or DEFAULT_LANGUAGE
    )
