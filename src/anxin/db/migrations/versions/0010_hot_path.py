"""hot path: settlement index and reference-data generations (issue 13)

The settlement job reads unsettled orders oldest first off ix_orders_unsettled instead of sorting them all for every
batch, and cancellations off ix_orders_settle, which gains order_id so it serves that order in full. ref_generations
holds one counter per cached reference table (anxin.db.refcache), bumped in the transaction that changes the table;
counter rows are created by the first change, so nothing is seeded here.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 19:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ref_generations',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('gen', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_ref_generations'))
    )
    # Plain CREATE/DROP INDEX on both databases (no table copy on SQLite).
    op.create_index('ix_orders_unsettled', 'orders', ['settle_state', 'paid_at', 'order_id'], unique=False)
    op.drop_index('ix_orders_settle', table_name='orders')
    op.create_index('ix_orders_settle', 'orders', ['settle_state', 'status', 'paid_at', 'order_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_orders_settle', table_name='orders')
    op.create_index('ix_orders_settle', 'orders', ['settle_state', 'status', 'paid_at'], unique=False)
    op.drop_index('ix_orders_unsettled', table_name='orders')
    op.drop_table('ref_generations')
