"""Errors the facilitation engine raises: a stable code plus parameters, translated by the web layer."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refused operation: `code` names the reason (e.g. `link-expired`), `params` fill its message."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def __repr__(self) -> str:
        return f"DomainError({self.code!r}, {self.params!r})"


class NotFound(DomainError):
    """The object does not exist, or the caller may not know it exists (both answer 404: no IDOR)."""

    def __init__(self, what: str = "object") -> None:
        super().__init__("not-found", what=what)
