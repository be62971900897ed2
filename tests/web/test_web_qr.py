"""Every QR code printed in the default kit points to a resource page that answers 200."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from flask import Flask
from webtools import BASE_URL

from app import get_state
from app.web.builds import BuildService
from app.web.downloads import default_options


def test_every_qr_url_of_the_default_kit_answers(app: Flask, tmp_path: Path) -> None:
    import zxingcpp
    from PIL import Image

    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm is not installed")
    service: BuildService = app.extensions["mallette_builds"]
    kit = get_state(app).kit
    with app.app_context():
        options = default_options(app)
    build = service.build_now(kit, options)
    build = service.get(build.key)
    assert build is not None and build.done, build
    whole = next(name for name in build.files if name.endswith("complete.pdf") or name.endswith(".pdf"))
    pdfs = [n for n in build.files if n.endswith(".pdf") and n != whole] or [whole]

    urls: set[str] = set()
    for name in pdfs:
        prefix = tmp_path / Path(name).stem
        # Grey PGM files: PNG compression would cost several times the rasterising.
        subprocess.run(["pdftoppm", "-r", "110", "-gray", str(service.build_dir / build.key / name), str(prefix)],
                       check=True)
        for picture in sorted(tmp_path.glob(f"{Path(name).stem}*.pgm")):
            urls.update(code.text for code in zxingcpp.read_barcodes(Image.open(picture)))
    card_ids = {item.id for item in kit if item.type.value in ("posture", "activite", "dimension",
                                                               "structure", "initiative", "notion")}
    assert {url.rsplit("/r/", 1)[-1] for url in urls} >= card_ids  # every card carries its QR code
    client = app.test_client()
    for url in sorted(urls):
        assert url == BASE_URL or url.startswith(f"{BASE_URL}/"), url
        assert client.get(url.removeprefix(BASE_URL) or "/").status_code == 200, url
