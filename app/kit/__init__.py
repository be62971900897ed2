"""Kit content: schema, loader and validator, index, search and safe Markdown rendering."""

from .loader import LoadResult, content_hash, load_kit
from .model import Kit, KitItem, Section
from .problems import Problem
from .schema import FOLDERS, ItemType

__all__ = [
    "FOLDERS",
    "ItemType",
    "Kit",
    "KitItem",
    "LoadResult",
    "Problem",
    "Section",
    "content_hash",
    "load_kit",
]
