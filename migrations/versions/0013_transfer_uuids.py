"""stable UUIDs on every row a transfer file carries; the last state exchanged of each record

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 07:10:00.000000
"""
import uuid

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

#: Tables that had no `uuid` yet: each existing row gets a random one here.
TABLES = ('stage_change', 'vote', 'synthesis_version', 'validation')


def upgrade() -> None:
    connection = op.get_bind()
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('uuid', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True))
        ids = connection.execute(sa.text(f'SELECT id FROM {table}')).scalars().all()
        for row_id in ids:
            connection.execute(sa.text(f'UPDATE {table} SET uuid = :uuid WHERE id = :id'),
                               {'uuid': str(uuid.uuid4()), 'id': row_id})
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('uuid', existing_type=sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False)
            batch_op.create_unique_constraint(f'{table}_uuid_key', ['uuid'])
    op.create_table('transfer_base',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )


def downgrade() -> None:
    op.drop_table('transfer_base')
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'{table}_uuid_key', type_='unique')
            batch_op.drop_column('uuid')
