"""Rendered Markdown of kit items, cached per content version (rendering is the costly part of a page)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from flask import request, url_for
from markupsafe import Markup

from ..kit import Kit, KitItem
from ..kit.markdown import render_markdown


@dataclass(frozen=True)
class RenderedItem:
    """An item's body as HTML: the text before the first section, each section, and the whole body."""

    intro: Markup
    sections: tuple[tuple[str, Markup], ...]
    body: Markup


_cache: dict[tuple[str, str, str], RenderedItem] = {}
_cache_version: list[str] = [""]
_lock = threading.Lock()


def _render(kit: Kit, item: KitItem, text: str) -> Markup:
    prefix = url_for("kit.resource", item_id="__id__")

    def href_for(target: str) -> str:
        return prefix.replace("__id__", target)

    return render_markdown(text, glossary=kit.glossary, href_for=href_for, skip_id=item.id)


def rendered(kit: Kit, item: KitItem) -> RenderedItem:
    """The item's rendered body (glossary terms linked to their notion), from the cache when possible."""
    key = (kit.content_hash, request.script_root, item.id)
    found = _cache.get(key)
    if found is not None:
        return found
    result = RenderedItem(
        intro=_render(kit, item, item.intro) if item.intro else Markup(""),
        sections=tuple((s.title, _render(kit, item, s.markdown)) for s in item.sections),
        body=_render(kit, item, item.body),
    )
    with _lock:
        if _cache_version[0] != kit.content_hash:
            _cache.clear()
            _cache_version[0] = kit.content_hash
        _cache[key] = result
    return result
