"""Safe Markdown rendering shared by the web pages and the print pipeline.

markdown-it-py parses with raw HTML disabled; glossary terms can be linked to their notion; the HTML
is then sanitised by nh3 with an allow-list (no images, no scripts, no styles, no event handlers).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em", "a",
    "code", "pre", "blockquote", "table", "thead", "tbody", "tr", "th", "td", "abbr",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "class"},
    "th": {"style"},
    "td": {"style"},
    "abbr": {"title"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}

HrefFor = Callable[[str], str]


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": True, "linkify": False})
    md.enable(["table", "strikethrough"])
    md.disable("image")
    return md


_md = _parser()


@lru_cache(maxsize=8)
def _term_pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    if not terms:
        return None
    ordered = sorted(terms, key=len, reverse=True)
    alternatives = "|".join(re.escape(t) for t in ordered)
    return re.compile(rf"(?<![\w-])({alternatives})(?![\w-])", re.IGNORECASE)


def _glossary_rule(glossary: Mapping[str, str], href_for: HrefFor, skip_id: str | None) -> Callable[[StateCore], None]:
    """A core rule linking the first occurrence of each glossary term to its notion."""
    kept = {term: target for term, target in glossary.items() if target != skip_id}
    # Acronyms (all capitals) match only as written; other terms ignore case.
    lookup = {t if t.isupper() else t.casefold(): target for t, target in kept.items()}
    pattern = _term_pattern(tuple(sorted(kept)))

    def rule(state: StateCore) -> None:
        if pattern is None:
            return
        linked: set[str] = set()
        for block in state.tokens:
            if block.type != "inline" or not block.children:
                continue
            children: list[Token] = []
            depth = 0
            for child in block.children:
                if child.type == "link_open":
                    depth += 1
                elif child.type == "link_close":
                    depth -= 1
                if child.type != "text" or depth:
                    children.append(child)
                    continue
                children.extend(_split_text(child, pattern, lookup, linked, href_for))
            block.children = children

    return rule


def _split_text(
    token: Token,
    pattern: re.Pattern[str],
    lookup: Mapping[str, str],
    linked: set[str],
    href_for: HrefFor,
) -> list[Token]:
    text = token.content
    out: list[Token] = []
    position = 0
    for match in pattern.finditer(text):
        word = match.group(1)
        target = lookup.get(word) or lookup.get(word.casefold())
        if target is None or target in linked:
            continue
        linked.add(target)
        if match.start() > position:
            out.append(_text(text[position : match.start()]))
        link = Token("link_open", "a", 1)
        link.attrs = {"href": href_for(target), "class": "glossaire", "title": "Voir le glossaire"}
        out.extend([link, _text(word), Token("link_close", "a", -1)])
        position = match.end()
    if not out:
        return [token]
    if position < len(text):
        out.append(_text(text[position:]))
    return out


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def sanitize(html: str) -> str:
    """Clean HTML with the allow-list (also used on any HTML that did not come from Markdown)."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


def render_markdown(
    text: str,
    *,
    glossary: Mapping[str, str] | None = None,
    href_for: HrefFor | None = None,
    skip_id: str | None = None,
) -> Markup:
    """Render Markdown to sanitised HTML; link glossary terms when a glossary is given."""
    if glossary and href_for is not None:
        md = _parser()
        md.core.ruler.push("glossary", _glossary_rule(glossary, href_for, skip_id))
        html = md.render(text)
    else:
        html = _md.render(text)
    return Markup(sanitize(html))  # noqa: S704 - sanitised just above


def render_inline(text: str) -> Markup:
    """Render a one-line Markdown string (no paragraph wrapper)."""
    return Markup(sanitize(_md.renderInline(text)))  # noqa: S704 - sanitised


def plain_text(text: str) -> str:
    """Markdown reduced to plain text, for search indexing and summaries."""
    tokens = _md.parse(text)
    parts: list[str] = []
    for token in tokens:
        if token.type == "inline" and token.children:
            parts.append("".join(c.content for c in token.children if c.type in ("text", "code_inline")))
        elif token.type in ("fence", "code_block"):
            parts.append(token.content)
    return "\n".join(p for p in parts if p)
