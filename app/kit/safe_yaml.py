"""Bounded YAML for content files: safe tags only, no aliases, limited nesting, bounded size.

`yaml.safe_load` refuses Python tags but still expands aliases (a "billion laughs" document of a
few hundred bytes becomes gigabytes) and recurses once per nesting level (thousands of `[` crash
the composer). `load_bounded` refuses both before anything is built and reports every failure as
a `YamlProblem` with its 1-based line, so the loader can say `path:line: yaml: problem`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

#: Deeper documents are refused (the kit's front matter needs 3 levels).
MAX_DEPTH = 20


class YamlProblem(Exception):
    """A YAML document that cannot be accepted: where (1-based line) and why (French)."""

    def __init__(self, line: int, message: str, started: int | None = None) -> None:
        super().__init__(f"{line}: {message}")
        self.line = line
        self.message = message
        #: Where the construct that failed began (1-based), when YAML says.
        self.started = started


class BoundedLoader(yaml.SafeLoader):
    """A `SafeLoader` that refuses aliases (`*name`) and nesting deeper than `MAX_DEPTH`."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        """Compose one node, refusing aliases and excessive depth before recursing."""
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise YamlProblem(event.start_mark.line + 1,
                              "les alias YAML (*nom) ne sont pas acceptés : recopiez la valeur")
        if self._depth >= MAX_DEPTH:
            event = self.peek_event()
            raise YamlProblem(event.start_mark.line + 1,
                              f"imbrication trop profonde (plus de {MAX_DEPTH} niveaux)")
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _yaml_message(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    text = f"{context}, {problem}" if context else str(problem)
    return f"erreur de syntaxe YAML : {text}"


def load_bounded(text: str, *, line_offset: int = 0) -> tuple[yaml.Node | None, Any]:
    """Compose and construct one YAML document; return (node, data).

    Lines in problems are 1-based, plus `line_offset` (the lines before the document in its file).

    Raises `YamlProblem` for syntax errors, unsafe tags, aliases, excessive depth and values that
    cannot be built (e.g. an integer of thousands of digits).
    """
    try:
        return _load(text)
    except YamlProblem as exc:
        message = exc.message
        if exc.started is not None and exc.started != exc.line:
            message += f" (commencé ligne {exc.started + line_offset})"
        raise YamlProblem(exc.line + line_offset, message) from None


def _load(text: str) -> tuple[yaml.Node | None, Any]:
    loader: BoundedLoader | None = None
    try:
        loader = BoundedLoader(text)  # the reader checks the characters here already
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
        return node, data
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        context = exc.context_mark
        raise YamlProblem(line, _yaml_message(exc), context.line + 1 if context is not None else None) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise YamlProblem(line, f"caractère non accepté (code {exc.character!r})") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(1, _yaml_message(exc)) from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise YamlProblem(1, f"valeur YAML impossible à lire : {type(exc).__name__}") from None
    finally:
        if loader is not None:
            loader.dispose()


def read_bounded(path: Path, limit: int) -> bytes | None:
    """The bytes of a regular file, or None if it holds more than `limit` bytes (read at most limit+1)."""
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    return None if len(data) > limit else data


def decode_utf8(raw: bytes) -> tuple[str | None, int]:
    """Decode UTF-8 (dropping a BOM, normalising CRLF); on failure (None, line of the bad byte)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, raw[: exc.start].count(b"\n") + 1
    return text.replace("\r\n", "\n").removeprefix("\ufeff"), 0
