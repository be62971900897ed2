"""The open commons: the whole kit as its Markdown sources (ZIP) and as JSON."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, make_response

from .. import get_state
from ..kit import LoadResult
from ..kit.loader import SOURCES_FILE, is_plain_file
from ..kit.schema import FOLDERS

bp = Blueprint("commons", __name__, url_prefix="/commun")

#: ZIP entries get a fixed date so that the same content gives the same bytes.
ZIP_DATE = (2022, 1, 1, 0, 0, 0)


def source_files(content_dir: Path, result: LoadResult) -> list[Path]:
    """The content files that validated, as they are on disk: README, sources registry, items' Markdown.

    Only regular files inside the content folder (no symbolic link, even one pointing inside): a
    link could make the ZIP carry any file the server can read. Files that failed validation
    stay out too.
    """
    root = content_dir.resolve()
    failed = {p.path for p in result.errors}
    names = [name for name in ("README.md", SOURCES_FILE) if name not in failed]
    names += sorted(item.path for item in result.kit)
    files = []
    for name in names:
        path = content_dir / name
        if is_plain_file(path) and not path.parent.is_symlink() and path.resolve().is_relative_to(root):
            files.append(path)
    files.sort(key=lambda p: (p.parent != content_dir, FOLDERS_ORDER.get(p.parent.name, 0), p.name))
    return files


FOLDERS_ORDER = {folder: index for index, folder in enumerate(FOLDERS, 1)}


def sources_zip(content_dir: Path, version: str, result: LoadResult) -> bytes:
    """A deterministic ZIP of the Markdown sources under a `mallette-<version>/` folder."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in source_files(content_dir, result):
            info = zipfile.ZipInfo(f"mallette-{version}/{path.relative_to(content_dir).as_posix()}", ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def kit_json() -> dict[str, Any]:
    """The whole kit as data: version, sources registry and every item (front matter, Markdown, URL)."""
    state = get_state()
    kit = state.kit
    base = current_app.config["BASE_URL"].rstrip("/")
    return {
        "version": kit.version,
        "content_hash": kit.content_hash,
        "licence": "CC BY-SA 4.0",
        "sources": kit.sources,
        "items": [
            {**item.front_matter(), "url": f"{base}/r/{item.id}", "markdown": item.body}
            for item in kit
        ],
    }


def _cached(kind: str, make: Any) -> bytes:
    """An export of the current content, from the app's content cache."""
    state = get_state()
    key = (kind, state.kit.content_hash, str(state.content_dir), current_app.config["BASE_URL"])
    data: bytes = state.cache.get_or_make("commons", key, make)
    return data


@bp.get("/sources.zip")
def sources() -> Response:
    """Download the Markdown sources of the whole kit."""
    state = get_state()
    version = state.kit.version
    result = state.result
    data = _cached("zip", lambda: sources_zip(state.content_dir, version, result))
    response = make_response(data)
    response.mimetype = "application/zip"
    response.headers["Content-Disposition"] = f'attachment; filename="mallette-{version}-sources.zip"'
    return response


@bp.get("/kit.json")
def json_export() -> Response:
    """The whole kit as JSON."""
    data = _cached("json", lambda: json.dumps(kit_json(), ensure_ascii=False, indent=1).encode())
    response = make_response(data)
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = f'inline; filename="mallette-{get_state().kit.version}.json"'
    return response
