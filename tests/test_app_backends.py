"""The whole app on each database backend: SQLite always, PostgreSQL when configured."""

from __future__ import annotations

from pathlib import Path

from app import create_app, get_state


def test_app_serves_pages_and_search_on_each_backend(database_url: str, tmp_path: Path) -> None:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE_URL": database_url,
            "BUILD_DIR": str(tmp_path / "builds"),
            "PREBUILD_DEFAULT_KIT": False,
        }
    )
    try:
        client = app.test_client()
        kit = get_state(app).kit
        assert client.get("/").status_code == 200
        assert client.get("/r/fiche-cooperation-territoriale").status_code == 200
        page = client.get("/recherche?q=COOPERATION").get_data(as_text=True)
        assert kit.items["notion-cooperation-territoriale"].title in page
        # A second app on the same database (another worker) finds the content already indexed.
        other = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": database_url,
                            "BUILD_DIR": str(tmp_path / "builds"), "PREBUILD_DEFAULT_KIT": False})
        assert other.test_client().get("/r/notion-ptce").status_code == 200
        get_state(other).engine.dispose()
    finally:
        get_state(app).engine.dispose()
