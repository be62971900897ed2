"""The open commons: Markdown sources as a ZIP, the kit as JSON."""

from __future__ import annotations

import io
import json
import zipfile

from flask import Flask
from flask.testing import FlaskClient
from webtools import BASE_URL, WEB_CONTENT

from app import get_state


def test_sources_zip_holds_every_markdown_file(client: FlaskClient, app: Flask) -> None:
    response = client.get("/commun/sources.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    version = get_state(app).kit.version
    assert f"mallette-{version}-sources.zip" in response.headers["Content-Disposition"]
    names = set(zipfile.ZipFile(io.BytesIO(response.data)).namelist())
    expected = {f"mallette-{version}/{p.relative_to(WEB_CONTENT).as_posix()}"
                for p in WEB_CONTENT.rglob("*") if p.suffix in (".md", ".yaml")}
    assert names == expected
    assert client.get("/commun/sources.zip").data == response.data  # deterministic


def test_kit_json(client: FlaskClient, app: Flask) -> None:
    response = client.get("/commun/kit.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = json.loads(response.data)
    kit = get_state(app).kit
    assert data["version"] == kit.version and data["content_hash"] == kit.content_hash
    assert len(data["items"]) == len(kit)
    fiche = next(i for i in data["items"] if i["id"] == "fiche-innovation-sociale")
    assert fiche["type"] == "fiche" and fiche["numero"] == "2.12"
    assert fiche["url"] == f"{BASE_URL}/r/fiche-innovation-sociale"
    assert "## Définition" in fiche["markdown"]
    assert data["sources"]["source-test"]["title"] == "Document source de test"


def test_licence_page(client: FlaskClient) -> None:
    page = client.get("/licence").get_data(as_text=True)
    assert "CC BY-SA 4.0" in page and "AGPL" in page and "Open Font License" in page
