"""All database tables, in one place (SQLModel)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Timezone-aware now, in UTC."""
    return datetime.now(UTC)


class Item(SQLModel, table=True):
    """A kit item as indexed from `kit_content/` (the Markdown file stays the source of truth)."""

    id: str = Field(primary_key=True, max_length=64)
    type: str = Field(index=True, max_length=20)
    title: str = Field(max_length=200)
    summary: str = Field(sa_column=Column(Text, nullable=False))
    position: int = Field(default=0, index=True)
    path: str = Field(max_length=300)
    checksum: str = Field(max_length=64)
    body: str = Field(sa_column=Column(Text, nullable=False))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ItemFacet(SQLModel, table=True):
    """A filterable value of an item: a tag or a grid dimension."""

    __tablename__ = "item_facet"

    item_id: str = Field(foreign_key="item.id", primary_key=True, max_length=64, ondelete="CASCADE")
    kind: str = Field(primary_key=True, max_length=20)
    value: str = Field(primary_key=True, index=True, max_length=64)


class ItemAlias(SQLModel, table=True):
    """A former id that redirects to an item."""

    __tablename__ = "item_alias"

    old_id: str = Field(primary_key=True, max_length=64)
    item_id: str = Field(foreign_key="item.id", max_length=64, ondelete="CASCADE")


class ContentState(SQLModel, table=True):
    """Which content version the index holds."""

    __tablename__ = "content_state"

    key: str = Field(primary_key=True, max_length=20)
    content_hash: str = Field(max_length=64)
    item_count: int = 0
    indexed_at: datetime = Field(default_factory=utcnow)


class KitBuild(SQLModel, table=True):
    """A territory kit build requested from the web app, cached by its options and content."""

    __tablename__ = "kit_build"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True, max_length=64)
    options: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=20)
    progress: int = 0
    message: str = Field(default="", max_length=500)
    files: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
