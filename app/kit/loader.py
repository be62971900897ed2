"""Read `kit_content/`, validate every file, and build the `Kit`.

Validation is table-driven and exhaustive: every problem in every file is collected with its place
(`path:line: field: message`); nothing is swallowed. Invalid items are left out of the kit.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt
from pydantic import ValidationError

from .model import Kit, KitItem, Section
from .problems import Problem, field_label, translate_pydantic_error
from .safe_yaml import YamlProblem, decode_utf8, load_bounded, read_bounded
from .schema import (
    FIELDS_MODEL,
    FOLDERS,
    LOCAL_ID_LISTS,
    MAX_FILE_BYTES,
    REQUIRED_SECTIONS,
    ActiviteFields,
    CommonFields,
    ItemType,
    split_address,
)
from .tags import TagUse, tag_labels, tag_problems

SOURCES_FILE = "sources.yaml"
#: The sources registry is one file for the whole kit: it may be larger than an item.
MAX_SOURCES_BYTES = 256 * 1024
_BODY_REQUIRED = {
    ItemType.NOTION,
    ItemType.DIMENSION,
    ItemType.STRUCTURE,
    ItemType.INITIATIVE,
    ItemType.PAGE,
    ItemType.PROTOCOLE,
    ItemType.ROLE,
    ItemType.GUIDE,
}
_structure_parser = MarkdownIt("commonmark", {"html": True})


@dataclass
class LoadResult:
    """The kit built from the valid items, and every problem found."""

    kit: Kit
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        """Problems that are errors."""
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        """Problems that are warnings."""
        return [p for p in self.problems if not p.is_error]


@dataclass
class _Parsed:
    """A file whose front matter validated, awaiting cross-item checks."""

    item: KitItem
    lines: dict[tuple[Any, ...], int]
    #: Set when an id inside the item is repeated: its references are still checked, then it is left out.
    repeated_ids: bool = False


def content_hash(root: Path) -> str:
    """SHA-256 over every content file's path and bytes: changes whenever the content does."""
    digest = hashlib.sha256()
    for path in _content_files(root):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        data = read_bounded(path, MAX_SOURCES_BYTES)
        digest.update(data if data is not None else f"too large {path.stat().st_size}".encode())
        digest.update(b"\0")
    return digest.hexdigest()


def is_plain_file(path: Path) -> bool:
    """A regular file, not a symbolic link (links could lead anywhere on the machine)."""
    return not path.is_symlink() and path.is_file()


def _content_files(root: Path) -> list[Path]:
    files = [
        p for folder in FOLDERS if not (root / folder).is_symlink()
        for p in sorted((root / folder).glob("*.md")) if is_plain_file(p)
    ]
    sources = root / SOURCES_FILE
    if is_plain_file(sources):
        files.append(sources)
    return files


def sort_key(text: str) -> str:
    """Accent- and case-insensitive key for French alphabetical order."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def load_kit(root: Path | str) -> LoadResult:
    """Load and validate the content under `root`; return the kit and all problems."""
    root = Path(root)
    problems: list[Problem] = []
    sources = _load_sources(root, problems)
    parsed: list[_Parsed] = []

    if not root.is_dir():
        problems.append(Problem(str(root), 1, "contenu", "dossier introuvable"))
    else:
        for child in sorted(root.iterdir()):
            unknown = child.is_dir() and child.name not in FOLDERS and not child.name.startswith(".")
            if unknown and any(child.glob("*.md")):
                problems.append(
                    Problem(
                        child.name,
                        1,
                        "dossier",
                        f"dossier inconnu, ses fichiers sont ignorés (dossiers : {', '.join(FOLDERS)})",
                        "warning",
                    )
                )
        for folder, item_type in FOLDERS.items():
            directory = root / folder
            if directory.is_symlink():
                problems.append(Problem(folder, 1, "dossier", "lien symbolique refusé : le dossier est ignoré"))
                continue
            if not directory.is_dir():
                continue
            for path in sorted(directory.iterdir()):
                rel = path.relative_to(root).as_posix()
                if path.name.startswith("."):
                    continue
                if path.is_symlink():
                    problems.append(Problem(rel, 1, "fichier", "lien symbolique refusé : le fichier est ignoré"))
                    continue
                if path.is_dir():
                    continue
                if not path.is_file():
                    problems.append(Problem(rel, 1, "fichier", "pas un fichier ordinaire : ignoré"))
                    continue
                if path.suffix != ".md":
                    problems.append(
                        Problem(rel, 1, "fichier", "fichier ignoré (seuls les .md sont lus)", "warning")
                    )
                    continue
                result = _parse_file(path, rel, item_type, problems)
                if result is not None:
                    parsed.append(result)

    items, aliases = _cross_check(parsed, sources, problems)
    problems.extend(tag_problems(_tag_uses(parsed, items)))
    kit = Kit(
        root=root,
        items=items,
        aliases=aliases,
        sources=sources,
        content_hash=content_hash(root) if root.is_dir() else "",
        glossary=_glossary(items.values()),
        tag_labels=tag_labels(tag for item in items.values() for tag in item.tags),
    )
    problems.sort(key=lambda p: (p.path, p.line, p.field, p.message))
    return LoadResult(kit=kit, problems=problems)


def _load_sources(root: Path, problems: list[Problem]) -> dict[str, dict[str, Any]]:
    path = root / SOURCES_FILE
    if path.is_symlink():
        problems.append(Problem(SOURCES_FILE, 1, "sources", "lien symbolique refusé"))
        return {}
    if not path.is_file():
        problems.append(Problem(SOURCES_FILE, 1, "sources", "fichier des sources introuvable"))
        return {}
    raw = read_bounded(path, MAX_SOURCES_BYTES)
    if raw is None:
        problems.append(Problem(SOURCES_FILE, 1, "fichier", f"au-delà de la limite de {MAX_SOURCES_BYTES} octets"))
        return {}
    text, bad_line = decode_utf8(raw)
    if text is None:
        problems.append(Problem(SOURCES_FILE, bad_line, "fichier", "encodage invalide (UTF-8 attendu)"))
        return {}
    try:
        _node, data = load_bounded(text)
    except YamlProblem as exc:
        problems.append(Problem(SOURCES_FILE, exc.line, "yaml", exc.message))
        return {}
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        problems.append(Problem(SOURCES_FILE, 1, "sources", "doit associer chaque clé à un titre"))
        return {}
    return {str(k): v for k, v in data.items()}


def _split_front_matter(text: str) -> tuple[str, str, int] | None:
    """Return (front matter, body, line number where the body starts), or None."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :]), index + 2
    return None


def _node_lines(node: yaml.Node | None) -> dict[tuple[Any, ...], int]:
    """Map each key path of a YAML node to its 1-based line (front-matter relative)."""
    lines: dict[tuple[Any, ...], int] = {}

    def walk(current: yaml.Node, prefix: tuple[Any, ...]) -> None:
        if isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                path = (*prefix, key_node.value)
                lines[path] = key_node.start_mark.line + 1
                walk(value_node, path)
        elif isinstance(current, yaml.SequenceNode):
            for index, child in enumerate(current.value):
                path = (*prefix, index)
                lines[path] = child.start_mark.line + 1
                walk(child, path)

    if node is not None:
        walk(node, ())
    return lines


def _duplicate_keys(node: yaml.Node | None) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if key_node.value in seen:
                found.append((str(key_node.value), key_node.start_mark.line + 1))
            seen.add(key_node.value)
            found.extend(_duplicate_keys(value_node))
    elif isinstance(node, yaml.SequenceNode):
        for child in node.value:
            found.extend(_duplicate_keys(child))
    return found


def line_for(lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...], default: int) -> int:
    """The line of the deepest known prefix of `loc`."""
    for size in range(len(loc), 0, -1):
        if loc[:size] in lines:
            return lines[loc[:size]]
    return default


def _parse_file(path: Path, rel: str, item_type: ItemType, problems: list[Problem]) -> _Parsed | None:
    raw = read_bounded(path, MAX_FILE_BYTES)
    if raw is None:
        size = path.stat().st_size
        problems.append(Problem(rel, 1, "fichier", f"{size} octets, au-delà de la limite de {MAX_FILE_BYTES}"))
        return None
    text, bad_line = decode_utf8(raw)
    if text is None:
        problems.append(Problem(rel, bad_line, "fichier", "encodage invalide (UTF-8 attendu)"))
        return None
    split = _split_front_matter(text)
    if split is None:
        problems.append(
            Problem(rel, 1, "front matter", "en-tête YAML absent (le fichier doit commencer par ---)")
        )
        return None
    front, body, body_line = split
    offset = 1  # front matter line 1 is file line 2
    try:
        node, data = load_bounded(front, line_offset=offset)
    except YamlProblem as exc:
        problems.append(Problem(rel, exc.line, "yaml", exc.message))
        return None
    if not isinstance(data, dict):
        problems.append(Problem(rel, 2, "front matter", "l'en-tête doit être une liste de champs"))
        return None
    lines = {k: v + offset for k, v in _node_lines(node).items()}
    ok = True
    for key, line in _duplicate_keys(node):
        problems.append(Problem(rel, line + offset, key, "champ en double"))
        ok = False

    model = FIELDS_MODEL[item_type]
    sections = _sections(body, body_line)
    try:
        fields = model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            problems.append(
                Problem(rel, line_for(lines, loc, 2), field_label(loc), translate_pydantic_error(dict(error)))
            )
        _check_body(rel, item_type, None, body, body_line, sections, problems)
        return None
    _check_body(rel, item_type, fields, body, body_line, sections, problems)
    repeated_ids = not _check_local_ids(rel, item_type, fields, lines, problems)
    if not ok:
        return None

    if fields.id != path.stem:
        problems.append(
            Problem(
                rel,
                lines.get(("id",), 2),
                "id",
                f"l'identifiant « {fields.id} » doit être le nom du fichier (« {path.stem}.md »)",
            )
        )
        return None

    leading = len(body) - len(body.lstrip("\n"))
    item = KitItem(
        type=item_type,
        fields=fields,
        body=body.strip("\n"),
        # Section lines relative to the stored (stripped) body, counted from 1.
        sections=tuple(Section(s.title, s.markdown, s.line - body_line + 1 - leading) for s in sections),
        path=rel,
        checksum=hashlib.sha256(raw).hexdigest(),
    )
    return _Parsed(item=item, lines=lines, repeated_ids=repeated_ids)


def _sections(body: str, body_line: int) -> list[Section]:
    """Split the body on level-2 headings; lines are file lines."""
    tokens = _structure_parser.parse(body)
    lines = body.split("\n")
    heads: list[tuple[str, int, int]] = []  # title, heading start (0-based body), content start
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag in ("h1", "h2") and token.map:
            title = tokens[index + 1].content.strip()
            heads.append((title if token.tag == "h2" else "", token.map[0], token.map[1]))
    sections: list[Section] = []
    for index, (title, start, content_start) in enumerate(heads):
        end = heads[index + 1][1] if index + 1 < len(heads) else len(lines)
        if not title:
            continue
        markdown = "\n".join(lines[content_start:end]).strip()
        sections.append(Section(title, markdown, start + body_line))
    return sections


def _check_body(
    rel: str,
    item_type: ItemType,
    fields: CommonFields | None,
    body: str,
    body_line: int,
    sections: list[Section],
    problems: list[Problem],
) -> None:
    tokens = _structure_parser.parse(body)
    for token in tokens:
        if token.type == "html_block" or (
            token.type == "inline" and any(c.type == "html_inline" for c in token.children or [])
        ):
            line = body_line + (token.map[0] if token.map else 0)
            problems.append(
                Problem(rel, line, "corps", "HTML brut : il sera ignoré à l'affichage", "warning")
            )
    if item_type in _BODY_REQUIRED and not body.strip():
        problems.append(Problem(rel, body_line, "corps", "texte vide"))

    required = REQUIRED_SECTIONS.get(item_type, ())
    found = {s.title: s for s in sections}
    last_line = body_line + max(len(body.rstrip("\n").split("\n")) - 1, 0)
    for title in required:
        section = found.get(title)
        if section is None:
            problems.append(Problem(rel, last_line, "rubriques", f"rubrique « {title} » manquante"))
        elif not section.markdown.strip():
            problems.append(Problem(rel, section.line, "rubriques", f"rubrique « {title} » vide"))
    present = [s.title for s in sections if s.title in required]
    if present != [t for t in required if t in present]:
        problems.append(
            Problem(rel, body_line, "rubriques", "rubriques dans le désordre (voir kit_content/README.md)", "warning")
        )
    for section in sections:
        if required and section.title not in required:
            problems.append(
                Problem(rel, section.line, "rubriques", f"rubrique « {section.title} » inattendue", "warning")
            )

    if isinstance(fields, ActiviteFields):
        total = sum(step.minutes for step in fields.etapes)
        if total != fields.duree:
            problems.append(
                Problem(
                    rel,
                    2,
                    "etapes",
                    f"les étapes durent {total} min, mais duree vaut {fields.duree} min",
                    "warning",
                )
            )


def _check_local_ids(
    rel: str, item_type: ItemType, fields: CommonFields, lines: dict[tuple[Any, ...], int], problems: list[Problem]
) -> bool:
    """Ids inside an item (steps, questions, half-days, boxes) are unique within their list; a protocol's
    own step ids are unique across the protocol. False when one is repeated."""
    ok = True

    def check(entries: list[tuple[tuple[Any, ...], str | None]]) -> None:
        nonlocal ok
        seen: dict[str, tuple[Any, ...]] = {}
        for loc, local_id in entries:
            if local_id is None:
                continue
            if local_id in seen:
                first = line_for(lines, seen[local_id], 2)
                problems.append(
                    Problem(rel, line_for(lines, loc, 2), field_label(loc),
                            f"identifiant « {local_id} » déjà utilisé ligne {first}")
                )
                ok = False
            else:
                seen[local_id] = loc

    for name in LOCAL_ID_LISTS.get(item_type, ()):
        check([((name, index, "id"), sub.id) for index, sub in enumerate(getattr(fields, name))])
    if item_type is ItemType.PROTOCOLE:
        check([
            (("demi_journees", d, "etapes", e, "id"), step.id)
            for d, day in enumerate(fields.demi_journees)  # type: ignore[attr-defined]
            for e, step in enumerate(day.etapes)
        ])
    return ok


def _check_inner_references(
    entry: _Parsed,
    owners: dict[str, _Parsed],
    report: Any,
    problems: list[Problem],
) -> None:
    """References into other items' insides: a protocol's activity steps, roles and templates, a
    template's grid questions; and each protocol half-day's time against its steps' total."""
    item, lines = entry.item, entry.lines

    def target(address: str, wanted: ItemType, inner: str) -> str | None:
        item_id, local = split_address(address)
        other = owners.get(item_id)
        if other is None:
            return f"« {item_id} » n'existe pas"
        if other.item.type is not wanted:
            return f"« {item_id} » n'est pas un élément de type {wanted.value}"
        found = other.item.step(local) if inner == "etape" else other.item.question(local)
        if found is None:
            return f"« {item_id} » n'a pas d'{'étape' if inner == 'etape' else 'question'} « {local} »"
        return None

    if item.type is ItemType.PROTOCOLE:
        for name, wanted in (("roles", ItemType.ROLE), ("modeles", ItemType.MODELE)):
            for index, other_id in enumerate(item.get(name, [])):
                other = owners.get(other_id)
                if other is None:
                    report((name, index), f"« {other_id} » n'existe pas")
                elif other.item.type is not wanted:
                    report((name, index), f"« {other_id} » n'est pas un élément de type {wanted.value}")
        for d, day in enumerate(item.get("demi_journees", [])):
            total = 0
            for e, step in enumerate(day.etapes):
                minutes = step.minutes
                if step.etape is not None:
                    problem = target(step.etape, ItemType.ACTIVITE, "etape")
                    if problem:
                        report(("demi_journees", d, "etapes", e, "etape"), problem)
                        continue
                    if minutes is None:
                        item_id, local = split_address(step.etape)
                        found = owners[item_id].item.step(local)
                        minutes = found.minutes if found else 0
                total += minutes or 0
            if total > day.minutes:
                loc = ("demi_journees", d, "minutes")
                problems.append(
                    Problem(item.path, line_for(lines, loc, 2), field_label(loc),
                            f"les étapes durent {total} min, plus que les {day.minutes} min de la demi-journée",
                            "warning")
                )
    if item.type is ItemType.MODELE:
        for r, box in enumerate(item.boxes):
            for q, address in enumerate(box.questions):
                problem = target(address, ItemType.DIMENSION, "question")
                if problem:
                    report(("rubriques", r, "questions", q), problem)


def _cross_check(
    parsed: list[_Parsed], sources: dict[str, dict[str, Any]], problems: list[Problem]
) -> tuple[dict[str, KitItem], dict[str, str]]:
    owners: dict[str, _Parsed] = {}
    valid: list[_Parsed] = []
    for entry in parsed:
        item = entry.item
        if item.id in owners:
            problems.append(
                Problem(
                    item.path,
                    entry.lines.get(("id",), 2),
                    "id",
                    f"identifiant « {item.id} » déjà utilisé par {owners[item.id].item.path}",
                )
            )
            continue
        owners[item.id] = entry
        valid.append(entry)

    aliases: dict[str, str] = {}
    broken: set[str] = set()
    for entry in valid:
        item, lines = entry.item, entry.lines

        def report(loc: tuple[Any, ...], message: str, entry: _Parsed = entry) -> None:
            problems.append(Problem(entry.item.path, line_for(entry.lines, loc, 2), field_label(loc), message))
            broken.add(entry.item.id)

        for index, target in enumerate(item.related):
            if target not in owners:
                report(("liens", index), f"« {target} » n'existe pas")
            elif target == item.id:
                problems.append(
                    Problem(item.path, line_for(lines, ("liens", index), 2), f"liens[{index + 1}]",
                            "un élément ne se lie pas à lui-même", "warning")
                )
        for index, key in enumerate(item.fields.sources):
            if key not in sources:
                report(("sources", index), f"source « {key} » absente de {SOURCES_FILE}")
        for index, target in enumerate(item.get("dimensions", []) or []):
            other = owners.get(target)
            if other is None or other.item.type is not ItemType.DIMENSION:
                report(("dimensions", index), f"« {target} » n'est pas une dimension de la grille")
        _check_inner_references(entry, owners, report, problems)
        if entry.repeated_ids:
            broken.add(item.id)
        if item.type is ItemType.POSTURE and not any(
            owners[t].item.type is ItemType.FICHE for t in item.related if t in owners
        ):
            report(("liens",), "une posture doit citer au moins une fiche")
        for index, old in enumerate(item.fields.anciens_ids):
            if old in owners:
                report(("anciens_ids", index), f"« {old} » est l'identifiant d'un élément existant")
            elif old in aliases and aliases[old] != item.id:
                report(("anciens_ids", index), f"« {old} » est déjà un ancien identifiant de « {aliases[old]} »")
            else:
                aliases[old] = item.id

    kept = [e.item for e in valid if e.item.id not in broken]
    kept.sort(key=_display_key)
    return {item.id: item for item in kept}, {k: v for k, v in aliases.items() if v not in broken}


_TYPE_ORDER = {item_type: index for index, item_type in enumerate(FOLDERS.values())}


def _display_key(item: KitItem) -> tuple[Any, ...]:
    numero = item.get("numero")
    number = tuple(int(p) for p in numero.split(".")) if numero else ()
    order = item.fields.ordre if item.fields.ordre is not None else 10_000
    return (_TYPE_ORDER[item.type], number, order, sort_key(item.title))


def _tag_uses(parsed: list[_Parsed], items: dict[str, KitItem]) -> list[TagUse]:
    """Every tag of the kept items, with its line (for the vocabulary warnings)."""
    return [
        TagUse(tag, entry.item.path, line_for(entry.lines, ("tags", index), 2), field_label(("tags", index)))
        for entry in parsed
        if items.get(entry.item.id) is entry.item
        for index, tag in enumerate(entry.item.tags)
    ]


def _glossary(items: Iterable[KitItem]) -> dict[str, str]:
    """Term (as written) -> notion id, for linking glossary terms in texts."""
    glossary: dict[str, str] = {}
    for item in items:
        if item.type is ItemType.NOTION:
            for term in item.get("termes", []) or []:
                glossary.setdefault(term, item.id)
    return glossary
