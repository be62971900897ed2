"""The loaded kit: items as plain, immutable Python objects shared by the web app and printing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .schema import CommonFields, Etape, ItemType, Question, Rubrique, split_address
from .tags import tag_key


@dataclass(frozen=True)
class Section:
    """A `## ` section of an item's body."""

    title: str
    markdown: str
    line: int


@dataclass(frozen=True)
class KitItem:
    """One item of the kit: validated front matter, Markdown body, and its sections."""

    type: ItemType
    fields: CommonFields
    body: str
    sections: tuple[Section, ...]
    path: str
    checksum: str

    @property
    def id(self) -> str:
        """Stable identifier used in URLs and QR codes."""
        return self.fields.id

    @property
    def title(self) -> str:
        """Display title."""
        return self.fields.titre

    @property
    def summary(self) -> str:
        """One- or two-sentence summary."""
        return self.fields.resume

    @property
    def tags(self) -> list[str]:
        """Free keywords."""
        return list(self.fields.tags)

    @property
    def related(self) -> list[str]:
        """Ids of related items."""
        return list(self.fields.liens)

    @property
    def licence(self) -> str:
        """Licence of the item."""
        return self.fields.licence

    def get(self, name: str, default: Any = None) -> Any:
        """A type-specific front-matter field (e.g. `duree`, `questions`), or `default`."""
        return getattr(self.fields, name, default)

    def section(self, title: str) -> str | None:
        """The Markdown of the section with this title, if any."""
        for section in self.sections:
            if section.title == title:
                return section.markdown
        return None

    @property
    def intro(self) -> str:
        """The body before the first section (the whole body when there is no section)."""
        if not self.sections:
            return self.body.strip()
        lines = self.body.splitlines()
        first = self.sections[0].line
        return "\n".join(lines[: max(first - 1, 0)]).strip()

    @property
    def dimensions(self) -> list[str]:
        """Ids of the grid dimensions this item feeds (activities) or is (a dimension)."""
        if self.type is ItemType.DIMENSION:
            return [self.id]
        return list(self.get("dimensions", []) or [])

    @property
    def steps(self) -> list[Etape]:
        """An activity's timed steps, in order (empty for other types)."""
        return list(self.get("etapes", []) or [])

    @property
    def questions(self) -> list[Question]:
        """A grid dimension's questions, in order (empty for other types)."""
        return list(self.get("questions", []) or [])

    @property
    def boxes(self) -> list[Rubrique]:
        """A template's boxes to fill in, in order (empty for other types)."""
        return list(self.get("rubriques", []) or [])

    def step(self, step_id: str) -> Etape | None:
        """The activity step with this local id (`accueil`), or None."""
        return next((s for s in self.steps if s.id == step_id), None)

    def question(self, question_id: str) -> Question | None:
        """The dimension question with this local id (`q1`), or None."""
        return next((q for q in self.questions if q.id == question_id), None)

    def front_matter(self) -> dict[str, Any]:
        """The front matter as plain data (defaults included), for JSON export and storage."""
        data = self.fields.model_dump(mode="json")
        return {"type": self.type.value, **data}


@dataclass(frozen=True)
class PlannedStep:
    """One step of a protocol's half-day, resolved: an activity step (with its address) or a free step."""

    key: str | None
    titre: str
    minutes: int
    consigne: str | None
    #: `<activity-id>.<step-id>` when the step comes from an activity, else None.
    address: str | None
    activity: KitItem | None


@dataclass(frozen=True)
class PlannedHalfDay:
    """A protocol's half-day, resolved: its time, steps and their total."""

    id: str
    titre: str
    minutes: int
    steps: tuple[PlannedStep, ...]

    @property
    def total(self) -> int:
        """Minutes the steps take together."""
        return sum(step.minutes for step in self.steps)


@dataclass
class Kit:
    """All items of the kit, in display order, with aliases and the source registry."""

    root: Path
    items: dict[str, KitItem]
    aliases: dict[str, str]
    sources: dict[str, dict[str, Any]]
    content_hash: str
    glossary: dict[str, str] = field(default_factory=dict)
    #: Tag key (`tag_key`) -> the tag as the kit writes it (see `tags.py`).
    tag_labels: dict[str, str] = field(default_factory=dict)

    def tag_label(self, tag: str) -> str:
        """The kit's label for a tag written any way (accents, case, separators)."""
        return self.tag_labels.get(tag_key(tag), tag)

    def __iter__(self) -> Iterator[KitItem]:
        return iter(self.items.values())

    def __len__(self) -> int:
        return len(self.items)

    def get(self, item_id: str) -> KitItem | None:
        """The item with this id, or None."""
        return self.items.get(item_id)

    def resolve(self, item_id: str) -> tuple[KitItem | None, bool]:
        """Find an item by id or former id; the flag says whether an alias was followed."""
        if item_id in self.items:
            return self.items[item_id], False
        target = self.aliases.get(item_id)
        if target is not None and target in self.items:
            return self.items[target], True
        return None, False

    def step(self, address: str) -> Etape | None:
        """An activity step by its address `<activity-id>.<step-id>`, or None."""
        item_id, local = split_address(address)
        item = self.items.get(item_id)
        return item.step(local) if item is not None and item.type is ItemType.ACTIVITE else None

    def question(self, address: str) -> Question | None:
        """A grid question by its address `<dimension-id>.<question-id>`, or None."""
        item_id, local = split_address(address)
        item = self.items.get(item_id)
        return item.question(local) if item is not None and item.type is ItemType.DIMENSION else None

    def plan(self, protocol: KitItem | str) -> list[PlannedHalfDay]:
        """A protocol's half-days with every step resolved (titles, minutes and instructions filled in
        from the activity step it cites, overridden by the protocol's own values). Empty when the id
        is not a protocol."""
        item = self.items.get(protocol) if isinstance(protocol, str) else protocol
        if item is None or item.type is not ItemType.PROTOCOLE:
            return []
        days: list[PlannedHalfDay] = []
        for day in item.get("demi_journees", []):
            steps: list[PlannedStep] = []
            for entry in day.etapes:
                source = self.step(entry.etape) if entry.etape else None
                activity = self.items.get(split_address(entry.etape)[0]) if entry.etape else None
                steps.append(
                    PlannedStep(
                        key=entry.id or entry.etape,
                        titre=entry.titre or (source.titre if source else ""),
                        minutes=entry.minutes or (source.minutes if source else 0),
                        consigne=entry.consigne or (source.consigne if source else None),
                        address=entry.etape,
                        activity=activity,
                    )
                )
            days.append(PlannedHalfDay(id=day.id, titre=day.titre, minutes=day.minutes, steps=tuple(steps)))
        return days

    def by_type(self, item_type: ItemType | str) -> list[KitItem]:
        """Items of one type, in display order."""
        wanted = ItemType(item_type)
        return [item for item in self.items.values() if item.type is wanted]

    def related(self, item: KitItem) -> list[KitItem]:
        """Items this item links to, then items that link to it, without repeats."""
        seen: dict[str, KitItem] = {}
        for other_id in item.related:
            other = self.items.get(other_id)
            if other is not None:
                seen.setdefault(other.id, other)
        for other in self.items.values():
            if item.id in other.related and other.id != item.id:
                seen.setdefault(other.id, other)
        return list(seen.values())

    @property
    def version(self) -> str:
        """Short content version shown on pages and printed on colophons."""
        return self.content_hash[:12]
