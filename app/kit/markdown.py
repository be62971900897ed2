"""Safe Markdown rendering shared by the web pages and the print pipeline.

markdown-it-py parses with raw HTML disabled; glossary terms can be linked to their notion; French
typography is applied to the text (non-breaking spaces, apostrophes, ordinals: `french_text`); the
HTML is then sanitised by nh3 with an allow-list (no images, no scripts, no styles, no event
handlers). The same rules typeset the interface's French messages (`french_template`, which keeps
their placeholders and tags as written).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markupsafe import Markup, escape

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em", "a",
    "code", "pre", "blockquote", "table", "thead", "tbody", "tr", "th", "td", "abbr", "sup",
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

# --------------------------------------------------------------------------- French typography

NBSP = "\u00a0"
NNBSP = "\u202f"
_SPACE = "[ \t\u00a0\u202f]"
#: Letters, an abbreviation's dot ("ex. :") and closing marks, after which ; ! ? : take a no-break space.
_LEFT = r"[\w.»)\]’”…]"
_TYPO_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # Straight apostrophe between letters: typographic apostrophe.
    (re.compile(r"(?<=[^\W\d_])'(?=[^\W\d_])"), "’"),
    # Guillemets hold their text with narrow no-break spaces.
    (re.compile(rf"«{_SPACE}*"), "«" + NNBSP),
    (re.compile(rf"{_SPACE}*»"), NNBSP + "»"),
    # ; ! ? take a narrow no-break space, : a no-break space (only where punctuation ends a word:
    # times "10:30", URLs "http://" and "?x=1" are left alone).
    (re.compile(rf"(?<={_LEFT}){_SPACE}*([;!?]+)(?=\s|$|[»)\]’”,.])"), NNBSP + r"\1"),
    (re.compile(rf"(?<={_LEFT}){_SPACE}*:(?=\s|$)"), NBSP + ":"),
    # Thousands separated by a narrow no-break space (1 860), a number held to its unit or noun
    # (199 Ko, 88 mm, 16 activités), "n° 4", "p. 12".
    (re.compile(r"(?<![\d,.])(\d{1,3})[ \u00a0](?=\d{3}(?!\d))"), r"\1" + NNBSP),
    (re.compile(r"(?<![\d,.])(\d+)[ ](?=[^\W\d_]|[€%°$£])"), r"\1" + NBSP),
    (re.compile(r"(?<!\w)(n°|N°|p\.|pp\.|art\.|no\.)[ ](?=\d)"), r"\1" + NBSP),
)
_AFTER_MARKUP = re.compile(rf"^{_SPACE}+([;!?:»])(?=\s|$|[;!?»)\]’”,.])")
#: Ordinals written as XIXe, 1er, 2e, 1re, 3es: the suffix is set as a superscript.
_ORDINAL = re.compile(r"(?<![\w-])([IVXLC]{2,}|[1-9]\d{0,3})(e|er|re|es|ers|res)(?![\w-])")


def french_text(text: str) -> str:
    """French typography on plain text: no-break spaces (narrow before ; ! ? and inside « »,
    normal before :), typographic apostrophes, numbers kept with their unit, "n° 4" unbroken.

    Ordinal suffixes need markup: see `french_html`."""
    for pattern, replacement in _TYPO_RULES:
        text = pattern.sub(replacement, text)
    return text


#: What French typography must leave exactly as written in a text template (an interface message):
#: Python format placeholders (`%(name)s`, `%(num)d`, `%s`; `%%` is a literal percent sign, which
#: the rules never change), `{name}` fields, HTML tags and character references.
_KEPT = re.compile(
    r"(?P<percent>%%)"
    r"|%(?:\([^()]*\))?[#0+-]*(?:\d+|\*)?(?:\.(?:\d+|\*))?(?P<conversion>[diouxXeEfFgGcrsa])"
    r"|\{[^{}]*\}"
    r"|<[^<>]*>"
    r"|&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);"
)
_NUMBER_CONVERSIONS = frozenset("diouxXeEfFgG")
#: Stand-ins the rules read in place of a kept span: a number placeholder is a digit (`%(n)d notes`
#: keeps the number with its noun), anything else a letter (`l'%(name)s`, `%(title)s :`, `</a> ?`).
_WORD_STAND_IN = "\u02ac"  # LATIN LETTER BILABIAL PERCUSSIVE (a letter)
_NUMBER_STAND_IN = "\u07c0"  # NKO DIGIT ZERO (a decimal digit)
_STAND_INS = re.compile(f"[{_WORD_STAND_IN}{_NUMBER_STAND_IN}]")


def french_template(text: str) -> str:
    """`french_text` on a text template, such as an interface message: placeholders (`%(name)s`,
    `%(num)d`, `{name}`), `%%`, HTML tags and character references are kept exactly as written, and
    only the text around them is typeset (a number placeholder counts as a number, any other kept
    span as a word)."""
    if _STAND_INS.search(text):
        raise ValueError(f"unexpected character in a text template: {text!r}")
    kept: list[str] = []

    def stand_in(match: re.Match[str]) -> str:
        if match.group("percent"):
            return match.group(0)
        kept.append(match.group(0))
        return _NUMBER_STAND_IN if match.group("conversion") in _NUMBER_CONVERSIONS else _WORD_STAND_IN

    typeset = french_text(_KEPT.sub(stand_in, text))
    # The rules only change spaces and apostrophes: the stand-ins are still there, in order.
    if len(_STAND_INS.findall(typeset)) != len(kept):
        raise RuntimeError(f"the typography rules lost a placeholder or tag of {text!r}")
    spans = iter(kept)
    return _STAND_INS.sub(lambda _match: next(spans), typeset)


def french_html(text: str) -> Markup:
    """Plain text escaped for HTML, with French typography and superscript ordinals (XIX<sup>e</sup>)."""
    html = str(escape(french_text(text)))
    return Markup(_ORDINAL.sub(r"\1<sup>\2</sup>", html))  # noqa: S704 - escaped just above


def _typography_rule(state: StateCore) -> None:
    """A core rule applying `french_text` to every text token (never to code), setting ordinal
    suffixes as superscripts, and keeping a soft line break from leaving ; ! ? : or » alone at the
    start of a line."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        for child in block.children:
            if child.type != "text":
                children.append(child)
                continue
            content = french_text(child.content)
            if children and children[-1].type == "softbreak" and re.match(r"[;!?:»]", content):
                children[-1] = _text(NBSP if content.startswith(":") else NNBSP)
            elif children:  # after a link, emphasis or code: " ?" holds to it
                content = _AFTER_MARKUP.sub(
                    lambda m: (NBSP if m.group(1) == ":" else NNBSP) + m.group(1), content
                )
            children.extend(_ordinals(content))
        block.children = children


def _ordinals(content: str) -> list[Token]:
    out: list[Token] = []
    position = 0
    for match in _ORDINAL.finditer(content):
        out.append(_text(content[position : match.start(2)]))
        out.extend([_html("<sup>"), _text(match.group(2)), _html("</sup>")])
        position = match.end()
    if position < len(content) or not out:
        out.append(_text(content[position:]))
    return out


def _html(content: str) -> Token:
    token = Token("html_inline", "", 0)
    token.content = content
    return token


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": True, "linkify": False})
    md.enable(["table", "strikethrough"])
    md.disable("image")
    return md


_md = _parser()
_md.core.ruler.push("french_typography", _typography_rule)
#: Plain text for the search index keeps the content's own characters (a search typed with a
#: straight apostrophe must find it).
_md_plain = _parser()


@lru_cache(maxsize=8)
def _term_pattern(terms: frozenset[str]) -> re.Pattern[str] | None:
    if not terms:
        return None
    ordered = sorted(terms, key=lambda t: (-len(t), t))
    alternatives = "|".join(re.escape(t) for t in ordered)
    return re.compile(rf"(?<![\w-])({alternatives})(?![\w-])", re.IGNORECASE)


@lru_cache(maxsize=8)
def _lookup(glossary: frozenset[tuple[str, str]]) -> dict[str, str]:
    # Acronyms (all capitals) match only as written; other terms ignore case.
    return {t if t.isupper() else t.casefold(): target for t, target in glossary}


def _glossary_rule(state: StateCore) -> None:
    """A core rule linking the first occurrence of each glossary term to its notion.

    The glossary, the link builder and the notion not to link (the page's own) come from
    `state.env`, so one parser serves every page (its pattern is compiled once per glossary).
    """
    settings = state.env.get("glossary")
    if not settings:
        return
    glossary, href_for, skip_id = settings
    pattern = _term_pattern(frozenset(term for term, _target in glossary))
    if pattern is None:
        return
    lookup = _lookup(glossary)
    # A page never links to itself (nor to a shorter term inside its own).
    linked: set[str] = {skip_id} if skip_id else set()
    quoted = 0  # inside a blockquote: a quotation is left as its author wrote it
    for block in state.tokens:
        if block.type in ("blockquote_open", "blockquote_close"):
            quoted += 1 if block.type == "blockquote_open" else -1
            continue
        if block.type != "inline" or not block.children or quoted:
            continue
        children: list[Token] = []
        depth = 0
        quotes = [0]  # depth of « » and “ ” quotation marks, carried across the block's text tokens
        for child in block.children:
            if child.type == "link_open":
                depth += 1
            elif child.type == "link_close":
                depth -= 1
            if child.type != "text" or depth:
                children.append(child)
                continue
            children.extend(_split_text(child, pattern, lookup, linked, href_for, quotes))
        block.children = children


_md_glossary = _parser()
_md_glossary.core.ruler.push("glossary", _glossary_rule)
# After the glossary: terms are matched as the content writes them.
_md_glossary.core.ruler.push("french_typography", _typography_rule)


def _split_text(
    token: Token,
    pattern: re.Pattern[str],
    lookup: Mapping[str, str],
    linked: set[str],
    href_for: HrefFor,
    quotes: list[int],
) -> list[Token]:
    text = token.content
    out: list[Token] = []
    position = 0
    scanned = 0

    def advance(upto: int) -> None:
        nonlocal scanned
        for char in text[scanned:upto]:
            if char in _OPENING_QUOTES:
                quotes[0] += 1
            elif char in _CLOSING_QUOTES and quotes[0]:
                quotes[0] -= 1
        scanned = max(scanned, upto)

    for match in pattern.finditer(text):
        advance(match.start())
        word = match.group(1)
        target = lookup.get(word) or lookup.get(word.casefold())
        if target is None or target in linked or quotes[0]:  # never inside a quotation
            continue
        linked.add(target)
        if match.start() > position:
            out.append(_text(text[position : match.start()]))
        link = Token("link_open", "a", 1)
        link.attrs = {"href": href_for(target), "class": "glossaire", "title": "Voir le glossaire"}
        out.extend([link, _text(word), Token("link_close", "a", -1)])
        position = match.end()
    advance(len(text))
    if not out:
        return [token]
    if position < len(text):
        out.append(_text(text[position:]))
    return out


_OPENING_QUOTES = "«“"
_CLOSING_QUOTES = "»”"


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


_URL_NOISE = re.compile(r"[\x00-\x20\x7f]")


def _drop_network_paths(tag: str, attribute: str, value: str) -> str | None:
    """nh3 attribute filter: drop `href="//host/…"` (and `\\host`, ` //host`…).

    A scheme-relative link takes the page's scheme, and leaves for another site: in a PDF it
    becomes `file://host/…`. Browsers ignore blanks and controls in URLs and read `\\` as `/`,
    so the check does too.
    """
    if attribute == "href" and _URL_NOISE.sub("", value).replace("\\", "/").startswith("//"):
        return None
    return value


def sanitize(html: str) -> str:
    """Clean HTML with the allow-list (also used on any HTML that did not come from Markdown)."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_drop_network_paths,
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
        env = {"glossary": (frozenset(glossary.items()), href_for, skip_id)}
        html = _md_glossary.render(text, env)
    else:
        html = _md.render(text)
    return Markup(sanitize(html))  # noqa: S704 - sanitised just above


def render_inline(text: str) -> Markup:
    """Render a one-line Markdown string (no paragraph wrapper)."""
    return Markup(sanitize(_md.renderInline(text)))  # noqa: S704 - sanitised


def plain_text(text: str) -> str:
    """Markdown reduced to plain text, for search indexing and summaries."""
    tokens = _md_plain.parse(text)
    parts: list[str] = []
    for token in tokens:
        if token.type == "inline" and token.children:
            parts.append("".join(c.content for c in token.children if c.type in ("text", "code_inline")))
        elif token.type in ("fence", "code_block"):
            parts.append(token.content)
    return "\n".join(p for p in parts if p)
