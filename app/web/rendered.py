"""Rendered Markdown of kit items, kept in the app's content cache (rendering is the costly part of a page)."""

from __future__ import annotations

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


def _render(kit: Kit, item: KitItem, text: str) -> Markup:
    prefix = url_for("kit.resource", item_id="__id__")

    def href_for(target: str) -> str:
        return prefix.replace("__id__", target)

    return render_markdown(text, glossary=kit.glossary, href_for=href_for, skip_id=item.id)


def rendered(kit: Kit, item: KitItem) -> RenderedItem:
    """The item's rendered body (glossary terms linked to their notion), from the cache when possible."""
    from .. import get_state

    def make() -> RenderedItem:
        return RenderedItem(
            intro=_render(kit, item, item.intro) if item.intro else Markup(""),
            sections=tuple((s.title, _render(kit, item, s.markdown)) for s in item.sections),
            body=_render(kit, item, item.body),
        )

    return get_state().cache.get_or_make("rendered", (kit.content_hash, request.script_root, item.id), make)
