"""Content problems, reported as `path:line: field: message`, and pydantic error translation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One problem found in the content, with its place."""

    path: str
    line: int
    field: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.field}: {self.message}"

    @property
    def is_error(self) -> bool:
        """True for errors, False for warnings."""
        return self.severity == "error"


#: The fields of each list of sub-items, named in the message when an entry is not a set of fields.
_SUB_FIELDS = {
    "etapes": "id, titre, minutes, consigne",
    "questions": "id, texte",
    "demi_journees": "id, titre, minutes, etapes",
    "rubriques": "id, titre, aide, lignes",
}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("s" if n > 1 else "")


def translate_pydantic_error(error: dict[str, Any]) -> str:
    """Turn one pydantic error into a French sentence a facilitator understands."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    messages: dict[str, str] = {
        "missing": "champ obligatoire manquant",
        "extra_forbidden": "champ inconnu (voir kit_content/README.md)",
        "string_type": "doit être un texte",
        "int_type": "doit être un nombre entier",
        "int_parsing": "doit être un nombre entier",
        "int_from_float": "doit être un nombre entier",
        "list_type": "doit être une liste",
        "bool_type": "doit valoir true ou false",
        "none_required": "doit être vide",
    }
    if kind in messages:
        return messages[kind]
    if kind in ("model_type", "model_attributes_type"):
        loc = tuple(error.get("loc") or ())
        names = _SUB_FIELDS.get(loc[-2] if len(loc) >= 2 and isinstance(loc[-1], int) else "", "")
        if loc[:1] == ("demi_journees",) and len(loc) > 2:
            names = "etape, ou titre et minutes"
        return f"doit être un ensemble de champs ({names})" if names else "doit être un ensemble de champs"
    if kind == "string_too_short":
        return "ne doit pas être vide"
    if kind == "string_too_long":
        return f"texte trop long ({ctx.get('max_length')} caractères au plus)"
    if kind == "string_pattern_mismatch":
        return f"format invalide (attendu : {ctx.get('pattern')})"
    if kind == "too_short":
        return f"au moins {_plural(int(ctx.get('min_length', 0)), 'élément')} attendu"
    if kind == "too_long":
        return f"au plus {_plural(int(ctx.get('max_length', 0)), 'élément')} attendu"
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace(" or ", " ou ")
        return f"valeur invalide, attendu : {expected}"
    if kind == "greater_than":
        return f"doit être supérieur à {ctx.get('gt')}"
    if kind == "greater_than_equal":
        return f"doit être supérieur ou égal à {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"doit être inférieur ou égal à {ctx.get('le')}"
    if kind == "value_error":
        return str(ctx.get("error", error.get("msg", "valeur invalide")))
    return str(error.get("msg", "valeur invalide"))


def field_label(loc: tuple[Any, ...]) -> str:
    """`("etapes", 2, "minutes")` -> `etapes[3].minutes` (list positions counted from 1)."""
    label = ""
    for part in loc:
        if isinstance(part, int):
            label += f"[{part + 1}]"
        else:
            label += ("." if label else "") + str(part)
    return label or "front matter"
