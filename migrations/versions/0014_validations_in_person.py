"""validations given in person, recorded on a party's behalf

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 07:20:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('validation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('on_behalf', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('recorded_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('recorded_by_name', sqlmodel.sql.sqltypes.AutoString(length=120),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('given_on', sa.Date(), nullable=True))
        batch_op.create_foreign_key('fk_validation_recorded_by_id_user', 'user', ['recorded_by_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('validation', schema=None) as batch_op:
        batch_op.drop_constraint('fk_validation_recorded_by_id_user', type_='foreignkey')
        batch_op.drop_column('given_on')
        batch_op.drop_column('recorded_by_name')
        batch_op.drop_column('recorded_by_id')
        batch_op.drop_column('on_behalf')
