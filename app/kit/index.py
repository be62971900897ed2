"""Store the kit in the database: items, facets (tags, dimensions), aliases and the search index."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import delete, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from ..db import is_sqlite, read_session, serialise, write_session
from ..models import ContentState, Item, ItemAlias, ItemFacet, SearchTerm, utcnow
from .markdown import plain_text
from .model import Kit, KitItem
from .suggest import vocabulary
from .tags import tag_key

STATE_KEY = "content"
_COMMON = {"id", "titre", "resume", "tags", "liens", "sources", "licence", "anciens_ids", "ordre",
           "dimensions", "type", "numero", "partie", "moment", "duree", "budget_euros"}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from _strings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _strings(inner)


def search_text(item: KitItem) -> str:
    """Everything searchable in an item besides its title and summary."""
    data = item.front_matter()
    extra = [s for key, value in data.items() if key not in _COMMON for s in _strings(value)]
    return "\n".join([plain_text(item.body), *extra, " ".join(item.tags)])


def indexed_hash(engine: Engine) -> str | None:
    """The content hash the database currently holds, if any."""
    with read_session(engine) as session:
        state = session.get(ContentState, STATE_KEY)
        return state.content_hash if state else None


def index_kit(engine: Engine, kit: Kit, *, force: bool = True) -> int:
    """Replace the stored items with the kit's, in one write transaction. Returns the item count.

    Without `force`, a database that already holds this content version is left alone (several
    workers starting together index it once).
    """
    with write_session(engine) as session:
        serialise(session.connection(), "mallette-index")
        state = session.get(ContentState, STATE_KEY)
        if not force and state is not None and state.content_hash == kit.content_hash:
            return state.item_count
        _clear(session)
        for position, item in enumerate(kit):
            session.add(
                Item(
                    id=item.id,
                    type=item.type.value,
                    title=item.title,
                    summary=item.summary,
                    position=position,
                    path=item.path,
                    checksum=item.checksum,
                    body=item.body,
                    data=item.front_matter(),
                )
            )
        session.flush()
        for item in kit:
            facets = {("tag", tag_key(t)) for t in item.tags} | {("dimension", d) for d in item.dimensions}
            for kind, value in sorted(facets):
                session.add(ItemFacet(item_id=item.id, kind=kind, value=value))
            _add_search_row(session, item)
        for old_id, item_id in kit.aliases.items():
            session.add(ItemAlias(old_id=old_id, item_id=item_id))
        texts = ((item.title, item.summary, search_text(item)) for item in kit)
        for term, (label, count) in vocabulary(text for group in texts for text in group).items():
            session.add(SearchTerm(term=term, label=label, count=count))
        state = state or ContentState(key=STATE_KEY, content_hash="")
        state.content_hash = kit.content_hash
        state.item_count = len(kit)
        state.indexed_at = utcnow()
        session.add(state)
    return len(kit)


def _clear(session: Session) -> None:
    session.execute(text("DELETE FROM item_search"))
    session.execute(delete(SearchTerm))
    session.execute(delete(ItemFacet))
    session.execute(delete(ItemAlias))
    session.execute(delete(Item))


def _add_search_row(session: Session, item: KitItem) -> None:
    params = {"id": item.id, "title": item.title, "summary": item.summary, "body": search_text(item)}
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        session.execute(
            text("INSERT INTO item_search (item_id, title, summary, body) VALUES (:id, :title, :summary, :body)"),
            params,
        )
    else:
        session.execute(
            text(
                "INSERT INTO item_search (item_id, title, document) VALUES (:id, :title, "
                "setweight(to_tsvector('fr_unaccent', :title), 'A') || "
                "setweight(to_tsvector('fr_unaccent', :summary), 'B') || "
                "setweight(to_tsvector('fr_unaccent', :body), 'C'))"
            ),
            params,
        )


def stored_ids(engine: Engine) -> list[str]:
    """Ids of the stored items in display order."""
    with read_session(engine) as session:
        return list(session.exec(select(Item.id).order_by(Item.position)))  # type: ignore[arg-type]


def resolve_alias(engine: Engine, old_id: str) -> str | None:
    """The current id for a former id, if the database knows it."""
    with read_session(engine) as session:
        alias = session.get(ItemAlias, old_id)
        return alias.item_id if alias else None


__all__ = ["index_kit", "indexed_hash", "is_sqlite", "resolve_alias", "search_text", "stored_ids"]
