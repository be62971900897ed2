"""call for expressions of interest: applications from volunteer territories

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 23:05:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('call_application',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('applicant_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('applicant_role', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
    sa.Column('organisation', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('territory_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('demand', sa.Text(), nullable=False),
    sa.Column('diagnosis', sa.JSON(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('accompaniment_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['accompaniment_id'], ['accompaniment.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key'),
    sa.UniqueConstraint('reference'),
    sa.UniqueConstraint('uuid')
    )
    with op.batch_alter_table('call_application', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_application_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('call_application', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_application_status'))
    op.drop_table('call_application')
