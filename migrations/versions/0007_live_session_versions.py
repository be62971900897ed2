"""live session: note versions for wall deltas, wall epoch on meetings

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 23:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wall_epoch', sa.Integer(), nullable=False, server_default='1'))
    with op.batch_alter_table('note', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_version', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('changed_version', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_index('ix_note_meeting_changed', ['meeting_id', 'changed_version'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('note', schema=None) as batch_op:
        batch_op.drop_index('ix_note_meeting_changed')
        batch_op.drop_column('changed_version')
        batch_op.drop_column('created_version')
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_column('wall_epoch')
