"""The open commons: the whole kit as its Markdown sources (ZIP) and as JSON."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, make_response

from .. import get_state
from ..kit.schema import FOLDERS

bp = Blueprint("commons", __name__, url_prefix="/commun")

_cache: dict[tuple[str, str], bytes] = {}
_lock = threading.Lock()
#: ZIP entries get a fixed date so that the same content gives the same bytes.
ZIP_DATE = (2022, 1, 1, 0, 0, 0)


def source_files(content_dir: Path) -> list[Path]:
    """The content files as they are on disk: README, sources registry and every item's Markdown."""
    files = [content_dir / name for name in ("README.md", "sources.yaml") if (content_dir / name).is_file()]
    for folder in FOLDERS:
        files.extend(sorted((content_dir / folder).glob("*.md")))
    return files


def sources_zip(content_dir: Path, version: str) -> bytes:
    """A deterministic ZIP of the Markdown sources under a `mallette-<version>/` folder."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in source_files(content_dir):
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
    state = get_state()
    version = f"{state.kit.content_hash}|{state.content_dir}|{current_app.config['BASE_URL']}"
    with _lock:
        data = _cache.get((kind, version))
    if data is None:
        data = make()
        with _lock:
            for key in [k for k in _cache if k[0] == kind]:
                del _cache[key]
            _cache[(kind, version)] = data
    return data


@bp.get("/sources.zip")
def sources() -> Response:
    """Download the Markdown sources of the whole kit."""
    state = get_state()
    version = state.kit.version
    data = _cached("zip", lambda: sources_zip(state.content_dir, version))
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
