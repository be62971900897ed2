"""search vocabulary: the indexed words, for typo suggestions (pg_trgm on PostgreSQL when available)

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_term",
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("term"),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # Trigram similarity narrows the vocabulary on PostgreSQL; without the extension (not
        # installed, no right to create it) suggestions fall back to scanning the vocabulary.
        try:
            with bind.begin_nested():
                bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
                bind.execute(sa.text("CREATE INDEX ix_search_term_trgm ON search_term USING GIN (term gin_trgm_ops)"))
        except sa.exc.DBAPIError:
            pass
    # The index now includes the vocabulary: have the next start re-index the content.
    op.execute("DELETE FROM content_state")


def downgrade() -> None:
    op.drop_table("search_term")
