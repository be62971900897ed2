"""kit builds as background jobs: progress codes, attempts, lease, retention

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kit_build", schema=None) as batch_op:
        batch_op.alter_column("status", existing_type=sa.String(length=20), type_=sa.String(length=24),
                              existing_nullable=False)
        batch_op.add_column(sa.Column("message_params", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("lease_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("worker", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_kit_build_status"), ["status"], unique=False)
    # Builds left pending by the thread pool are queued again by the job worker; messages were French
    # sentences, they are codes now.
    op.execute("UPDATE kit_build SET status = 'queued' WHERE status = 'pending'")
    op.execute("UPDATE kit_build SET message = ''")


def downgrade() -> None:
    op.execute("UPDATE kit_build SET status = 'pending' WHERE status IN ('queued', 'expired')")
    with op.batch_alter_table("kit_build", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kit_build_status"))
        for name in ("last_used_at", "started_at", "version", "worker", "lease_until", "attempts", "error",
                     "message_params"):
            batch_op.drop_column(name)
        batch_op.alter_column("status", existing_type=sa.String(length=24), type_=sa.String(length=20),
                              existing_nullable=False)
