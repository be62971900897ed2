"""full-text search: FTS5 on SQLite, tsvector with unaccent on PostgreSQL

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE item_search USING fts5("
            "item_id UNINDEXED, title, summary, body, tokenize = 'unicode61 remove_diacritics 2')"
        )
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.execute(
        "DO $$ BEGIN "
        "IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'fr_unaccent') THEN "
        "CREATE TEXT SEARCH CONFIGURATION fr_unaccent (COPY = french); "
        "ALTER TEXT SEARCH CONFIGURATION fr_unaccent "
        "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem; "
        "END IF; END $$"
    )
    op.execute(
        "CREATE TABLE item_search ("
        "item_id VARCHAR(64) PRIMARY KEY REFERENCES item(id) ON DELETE CASCADE, "
        "title TEXT NOT NULL, "
        "document tsvector NOT NULL)"
    )
    op.execute("CREATE INDEX ix_item_search_document ON item_search USING GIN (document)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS item_search")
