"""Database ids and version numbers read from URLs, forms and query strings.

A value a client sends may be anything: "²" passes `str.isdigit()` but not `int()`, and twenty
digits pass both but overflow a 64-bit integer column (SQLite raises `OverflowError`). Both would
be a 500; here they are simply no id, which the views answer as a missing object (404) or a form
error.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

#: The largest value of a signed 64-bit integer column (SQLite INTEGER, PostgreSQL BIGINT).
MAX_ID = 2**63 - 1
#: At most this many digits: any such number fits `MAX_ID`.
MAX_DIGITS = 18


def parse_id(raw: str | None) -> int | None:
    """The non-negative integer `raw` spells in ASCII digits (at most `MAX_DIGITS`), else None."""
    if raw is None or not (0 < len(raw) <= MAX_DIGITS) or not (raw.isascii() and raw.isdecimal()):
        return None
    return int(raw)


class DatabaseIdConverter(IntegerConverter):
    """`<int:…>` in routes: ASCII digits up to `MAX_ID`. A larger number matches no route: at 20
    digits or more, not even its pattern (a 404); a 19-digit one over `MAX_ID` fails the conversion
    (a 404, or a 405 where a route for another method has the same pattern)."""

    regex = r"[0-9]{1,19}"

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def install_id_converter(url_map: Map) -> None:
    """Make `<int:…>` a `DatabaseIdConverter` (before any route is added)."""
    url_map.converters["int"] = DatabaseIdConverter
