"""One tag vocabulary: tags compared across accents, case and separators.

`coopération`, `cooperation` and `Coopération` are one tag; so are `visite apprenante` and
`visite-apprenante`. Each tag has a key (`tag_key`, used in URLs, facets and filters) and a label (the
way the kit writes it, shown on pages: the written form with accents and spaces wins). The validator
warns, with the file and line, where a tag is written differently from its label (`cooperation` where
the kit also writes `coopération`).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .problems import Problem

_SEPARATORS = re.compile(r"[\s\-_'’·.]+")


def tag_key(tag: str) -> str:
    """The folded form of a tag: lower case, no accents, words joined by `-` (`mise-en-recit`)."""
    decomposed = unicodedata.normalize("NFKD", tag.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SEPARATORS.sub("-", bare).strip("-")


def _preference(written: str, count: int) -> tuple[int, int, int]:
    """How good a written form is as the label: accents and spaces (French) first, then frequency."""
    accents = sum(1 for c in unicodedata.normalize("NFKD", written) if unicodedata.combining(c))
    return (accents, written.count(" "), count)


@dataclass(frozen=True)
class TagUse:
    """One tag as written in one file, with its place (for warnings)."""

    tag: str
    path: str
    line: int
    field: str


def tag_labels(tags: Iterable[str]) -> dict[str, str]:
    """Key -> label: among the forms written for one tag, the one with accents and spaces, else the most used."""
    counts = Counter(tags)
    best: dict[str, tuple[tuple[int, int, int], str]] = {}
    for written, count in counts.items():
        key = tag_key(written)
        rank = _preference(written, count)
        if key not in best or (rank, written) > best[key]:
            best[key] = (rank, written)
    return {key: written for key, (_rank, written) in best.items()}


def tag_problems(uses: Sequence[TagUse]) -> list[Problem]:
    """A warning, with its place, for each tag written differently from the kit's label for it."""
    labels = tag_labels(use.tag for use in uses)
    problems: list[Problem] = []
    for use in uses:
        label = labels[tag_key(use.tag)]
        if use.tag != label:
            problems.append(Problem(use.path, use.line, use.field,
                                    f"mot-clé « {use.tag} » écrit « {label} » ailleurs : écrivez « {label} »",
                                    "warning"))
    return problems
