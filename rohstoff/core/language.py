"""The language a person reads in, decided in one place.

Pages follow the request (``LocaleMiddleware`` reads the language cookie and ``Accept-Language``);
mail follows the recipient's saved language where the user has one, else the platform's language
(German). Code that runs inside a request or a ``translation.override`` asks for the active
language. Numbers, dates, CSV dialects and chart separators all take their language from here
(docs/architecture.md, "Numbers, periods, units").
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation


def _supported(code: str | None) -> str | None:
    """``code`` reduced to one of ``settings.LANGUAGES`` ("de-AT" -> "de"), or None."""
    if not code:
        return None
    codes = {c for c, _name in settings.LANGUAGES}
    code = code.lower()
    if code in codes:
        return code
    base = code.split("-")[0].split("_")[0]
    return base if base in codes else None


def reader_language(*, request=None, user=None) -> str:
    """The language ``user`` (a mail's recipient) or the reader of ``request`` reads in; without
    either, the active language. Always one of ``settings.LANGUAGES``."""
    if user is not None:
        return _supported(getattr(user, "language", None)) or settings.LANGUAGE_CODE
    if request is not None:
        return _supported(getattr(request, "LANGUAGE_CODE", None)) or settings.LANGUAGE_CODE
    return _supported(translation.get_language()) or settings.LANGUAGE_CODE


def uses_decimal_comma(language: str | None = None) -> bool:
    """True when the language writes 1.500,5 (German), False for 1,500.5 (English)."""
    return (language or reader_language()) == "de"
