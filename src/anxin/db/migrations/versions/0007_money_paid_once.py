"""money paid once: one open case per order, case versions, idempotency keys (issue 13)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 19:10:00
"""
import sqlalchemy as sa
from alembic import op

import anxin.db.base

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


OPEN = ("state IN ('arbitration', 'awaiting_return', 'pending_merchant', 'rejected', 'return_shipped', "
        "'under_review')")


def upgrade() -> None:
    bind = op.get_bind()
    doubled = bind.execute(sa.text(f"SELECT order_id FROM aftersale_cases WHERE {OPEN} GROUP BY order_id "
                                   "HAVING COUNT(*) > 1")).scalars().all()
    if doubled:  # the very defect this index prevents; an operator must settle these cases first
        raise RuntimeError(f"orders with more than one open after-sale case (close all but one first): "
                           f"{sorted(doubled)[:20]}")
    with op.batch_alter_table('aftersale_cases') as batch:
        batch.add_column(sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False))
    op.create_index('uq_aftersale_cases_one_open_per_order', 'aftersale_cases', ['order_id'], unique=True,
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
    op.create_table('idempotency_keys',
    sa.Column('scope', sa.String(length=200), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('created_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('response', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('scope', 'key', name=op.f('pk_idempotency_keys'))
    )
    op.create_index(op.f('ix_idempotency_keys_created_at'), 'idempotency_keys', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_idempotency_keys_created_at'), table_name='idempotency_keys')
    op.drop_table('idempotency_keys')
    op.drop_index('uq_aftersale_cases_one_open_per_order', table_name='aftersale_cases')
    with op.batch_alter_table('aftersale_cases') as batch:
        batch.drop_column('version')
