"""Property tests (Hypothesis): the sanitiser and the content loader hold for any input.

- Markdown (with raw HTML mixed in) never comes out with a script, a style, an event handler, an
  `hx-*` attribute, a tag or attribute outside the allow-list, or a `javascript:`/`data:`/`//host` link.
- Any bytes as `sources.yaml` or as an item file give a kit and `path:line` problems, never
  another exception.

Examples are few and small so the whole module stays quick.
"""

from __future__ import annotations

import re
import tempfile
from html.parser import HTMLParser
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.kit import load_kit
from app.kit.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, render_inline, render_markdown, sanitize
from app.kit.problems import Problem

HTML_FRAGMENTS = [
    "<script>alert(1)</script>", "<script", "</script>", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>",
    "<a href='javascript:alert(1)'>x</a>", '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>', '<a href=" JaVaScRiPt:x">x</a>', '<a href="data:text/html,x">x</a>',
    '<a href="//evil.example/x">x</a>', '<a href="\\\\evil.example">x</a>', '<div hx-get="/x" hx-trigger="load">',
    '<p hx-on:click="x">', "<style>p{}</style>", '<p style="color:red">', "<iframe src=//x>", "<form action=x>",
    '<button formaction="javascript:x">', "<math><mi>", "<template>", "<!--", "-->", "<![CDATA[", "]]>",
    "<noscript><p title='</noscript><img src=x onerror=alert(1)>'>", '<a href="vbscript:x">', "<base href=//x>",
    '<meta http-equiv="refresh" content="0;url=javascript:x">', "<object data=x>", "<embed src=x>",
    '<td style="background:url(javascript:x)">', '<abbr title="x" onmouseover="y">',
]
MARKDOWN_FRAGMENTS = [
    "[x](javascript:alert(1))", "[x](JAVASCRIPT:alert(1))", "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "[x](//evil.example)", "[x](<//evil.example>)", "[x](vbscript:x)", "![i](https://x/y.png)", "<https://x>",
    "<javascript:alert(1)>", "[x][r]\n\n[r]: javascript:alert(1)", "`<script>`", "```\n<script>\n```",
    "\n\n", "> ", "- ", "1. ", "# ", "## ", "|a|b|\n|-|-|\n|<script>|x|\n", "**", "_", "\\", "&amp;", "&#0;",
    "\x00", "\u202e", "[x](https://example.org \"t\" onclick=x)", "[x](/r/ok)",
]
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
MARKUP = st.lists(st.one_of(st.sampled_from(HTML_FRAGMENTS), st.sampled_from(MARKDOWN_FRAGMENTS), TEXT),
                  max_size=12).map("".join)
#: Attributes nh3 allows on every tag (plain text, escaped), and the rel it adds to links.
GENERIC_ATTRIBUTES = {"title", "lang", "rel"}
DANGEROUS_URL = re.compile(r"^(javascript|data|vbscript|file):|^//")


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, [(name, value or "") for name, value in attrs]))

    handle_startendtag = handle_starttag


def _unsafe(html: str) -> list[str]:
    parser = _Collect()
    parser.feed(html)
    parser.close()
    found = []
    for tag, attrs in parser.tags:
        if tag not in ALLOWED_TAGS:
            found.append(f"tag <{tag}>")
        for name, value in attrs:
            allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | GENERIC_ATTRIBUTES
            if name.startswith(("on", "hx-", "data-")) or name not in allowed:
                found.append(f"attribute {name} on <{tag}>")
            if name == "href":
                url = re.sub(r"[\x00-\x20\x7f]", "", value).replace("\\", "/").lower()
                if DANGEROUS_URL.search(url):
                    found.append(f"href {value!r}")
            if name == "style" and re.search(r"url|expression|javascript", value, re.I):
                found.append(f"style {value!r}")
    return found


@settings(max_examples=200, deadline=None, derandomize=True)
@given(MARKUP)
def test_sanitised_markdown_is_inert(text: str) -> None:
    glossary = {"coopération": "notion-cooperation"}
    for html in (render_markdown(text), render_inline(text), sanitize(text),
                 render_markdown(text, glossary=glossary, href_for=lambda t: f"/r/{t}")):
        assert _unsafe(str(html)) == [], (text, str(html))


def test_the_checker_sees_what_it_must() -> None:
    assert _unsafe('<a href=" javascript:x" onclick="y">x</a><script></script><p hx-get="/x">') == [
        "href ' javascript:x'", "attribute onclick on <a>", "tag <script>", "attribute hx-get on <p>"]


# -- the content loader ----------------------------------------------------------------------------

YAML_FRAGMENTS = [
    "id: notion-x\n", "titre: Titre\n", "resume: R\n", "sources: [source-test]\n", "liens: [notion-y]\n",
    "&a [1, 2]\n", "a: &a [x]\nb: *a\n", "*a\n", "<<: *a\n", "!!python/object:os.system x\n", "!!binary AAA=\n",
    "!!timestamp 2026-13-45\n", "!!set {a, b}\n", "? [a]\n: b\n", "{a: 1, a: 2}\n", "[" * 30, "]" * 30,
    "{" * 30, "- " * 30 + "x\n", "9" * 5000 + "\n", "1e9999\n", "'unterminated\n", '"\\x00"\n', "\t", "---\n",
    "...\n", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "!x y\n", "titre: \"\\ud800\"\n", "\x00", "\x1b", "\ufeff",
    "\u202e", "\r\n", "\r", "key: |\n  bloc\n", "key: >\n  plié\n", "numero: 2.12\n", "partie: 1\n",
    "duree: -5\n", "etapes: [{titre: a, minutes: 5}]\n", "questions: [q1, q2]\n",
]
YAMLISH = st.lists(st.one_of(st.sampled_from(YAML_FRAGMENTS), TEXT), max_size=10).map("".join)
FILE_BYTES = st.one_of(
    YAMLISH.map(lambda y: f"---\n{y}---\n## Définition\n\nTexte.\n".encode("utf-8", "surrogatepass")),
    YAMLISH.map(lambda y: y.encode("utf-8", "surrogatepass")),
    st.binary(max_size=200),
)


def _check_problems(problems: list[Problem], names: set[str]) -> None:
    for problem in problems:
        assert problem.path in names or problem.path.split("/")[0] in names, problem
        assert problem.line >= 1 and problem.field and problem.message
        assert problem.severity in ("error", "warning")


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(sources=FILE_BYTES, item=FILE_BYTES)
def test_the_loader_turns_any_bytes_into_items_or_located_problems(sources: bytes, item: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "notions").mkdir()
        (root / "sources.yaml").write_bytes(sources)
        (root / "notions" / "notion-x.md").write_bytes(item)
        result = load_kit(root)
    _check_problems(result.problems, {"sources.yaml", "notions/notion-x.md", "notions"})
    assert set(result.kit.items) <= {"notion-x"}
    if "notion-x" not in result.kit.items:
        assert result.errors  # a file left out is always said
