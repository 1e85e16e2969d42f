"""Request parsers of the API: JSON read strictly and within bounds, forms without NUL characters.

What they refuse, each with a 400 instead of a 500 further down (docs/security.md):

* a body larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (Django stops reading it; ``api.py`` turns
  that into a 400 with the limit);
* JSON nested deeper than ``MAX_JSON_DEPTH`` (Python's parser would recurse until it fails);
* the non-standard JSON constants ``NaN``, ``Infinity`` and ``-Infinity``;
* a NUL character in any text, key or file name (PostgreSQL cannot store one in a text column).
"""

import codecs
import json
import re
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

# No request of this API nests deeper than a few levels; 32 leaves room and stops the attack.
MAX_JSON_DEPTH = 32

_STRING = re.compile(r'"(?:[^"\\]+|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class _NotANumber(ValueError):
    pass


def _refuse_constant(name):
    raise _NotANumber(name)


def _check_depth(text: str) -> None:
    """Refuse JSON nested deeper than MAX_JSON_DEPTH, before the parser recurses into it."""
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise ParseError(
                    _("The JSON is nested more than %(limit)s levels deep.")
                    % {"limit": MAX_JSON_DEPTH}
                )
        else:
            depth -= 1


def nul_message() -> str:
    return _("This text contains a NUL character (\\u0000), which is not accepted.")


def _find_nul(value, path=()):
    """The path (keys and list positions) of the first text containing NUL, or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                return (*path, key)
            found = _find_nul(item, (*path, key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _find_nul(item, (*path, str(index)))
            if found is not None:
                return found
    return None


def refuse_nul(data) -> None:
    """A 400 ``{field: [message]}`` (the field's path with dots) when any text contains NUL."""
    path = _find_nul(data)
    if path is not None:
        raise ValidationError({".".join(path).replace("\x00", "") or "detail": [nul_message()]})


def refuse_nul_in_form(data) -> None:
    """The same for form fields (a QueryDict or MultiValueDict of texts): names the field."""
    for key in data:
        if "\x00" in key or any("\x00" in value for value in data.getlist(key)):
            raise ValidationError({key.replace("\x00", "") or "detail": [nul_message()]})


def body_too_large_message() -> str:
    return _("The request body is larger than the limit of %(limit)s bytes.") % {
        "limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    }


class DecimalJSONParser(parsers.JSONParser):
    """JSON whose numbers with a fraction become Decimal, not float: a quantity sent as
    ``12345678901234.123456`` keeps every digit (docs/periods-and-units.md: quantities travel as
    decimal strings or numbers, and are Decimal throughout). Bounded and strict as the module
    says."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        # DRF hands over request.body, which Django has read only up to
        # DATA_UPLOAD_MAX_MEMORY_SIZE (beyond it: RequestDataTooBig, a 400 in api.py).
        raw = stream.read() if stream is not None else b""
        try:
            text = codecs.decode(raw, encoding)
        except (UnicodeDecodeError, LookupError):
            raise ParseError(
                _("The request body is not valid %(encoding)s text.") % {"encoding": encoding}
            ) from None
        _check_depth(text)
        try:
            data = json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
        except _NotANumber as exc:
            raise ParseError(
                _("%(constant)s is not a number JSON knows; send a number or leave the field out.")
                % {"constant": exc.args[0]}
            ) from None
        except json.JSONDecodeError as exc:
            raise ParseError(
                _("The request body is not valid JSON (line %(line)s, column %(column)s).")
                % {"line": exc.lineno, "column": exc.colno}
            ) from None
        except (ValueError, RecursionError):  # e.g. an integer of more than 4300 digits
            raise ParseError(_("The request body is not valid JSON.")) from None
        refuse_nul(data)
        return data


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        refuse_nul_in_form(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        refuse_nul_in_form(result.data)
        for key in result.files:
            if any("\x00" in (f.name or "") for f in result.files.getlist(key)):
                raise ValidationError({key: [nul_message()]})
        return result
