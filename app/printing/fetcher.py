"""A deny-by-default URL fetcher for WeasyPrint: only the kit's own print assets and `data:` URLs.

No network, no redirects, no file outside `print/` (symbolic links are resolved before the check).
Every requested URL is recorded in `requested`, refused ones also in `refused`, so tests can prove
that rendering hostile content fetched nothing.
"""

from __future__ import annotations

import mimetypes
from collections import deque
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import urlopen

from weasyprint.urls import URLFetcher, URLFetcherResponse

mimetypes.add_type("font/woff2", ".woff2")
mimetypes.add_type("font/woff", ".woff")
mimetypes.add_type("image/svg+xml", ".svg")


class FetchRefused(ValueError):
    """A URL the print pipeline will not fetch."""


class PrintURLFetcher(URLFetcher):
    """Fetch `file:` URLs inside `print_dir` and `data:` URLs; refuse everything else."""

    def __init__(self, print_dir: Path) -> None:
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)
        self.root = Path(print_dir).resolve()
        # Bounded: the fetcher lives as long as the process (web workers).
        self.requested: deque[str] = deque(maxlen=5000)
        self.refused: deque[str] = deque(maxlen=5000)

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        """Return the resource, or raise `FetchRefused` for anything outside the allow-list."""
        self.requested.append(url)
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            with urlopen(url) as response:  # noqa: S310 - data: URL only, decoded locally
                body = response.read()
                content_type = response.headers.get_content_type()
            return URLFetcherResponse(url, body, {"Content-Type": content_type})
        if scheme == "file":
            parts = urlsplit(url)
            if parts.netloc not in ("", "localhost"):
                return self._refuse(url)
            try:
                path = Path(unquote(parts.path)).resolve()
            except (OSError, RuntimeError):
                return self._refuse(url)
            if not path.is_relative_to(self.root) or not path.is_file():
                return self._refuse(url)
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})
        return self._refuse(url)

    def _refuse(self, url: str) -> URLFetcherResponse:
        self.refused.append(url)
        raise FetchRefused(f"adresse refusée à l'impression : {url[:200]}")
