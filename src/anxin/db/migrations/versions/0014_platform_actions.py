"""actions sent to the platform and their acknowledgements (issue 14)

platform_actions holds one row per instruction anxin gives the platform (take a listing down, restrict a shop, hold
funds …): its kind, target, parameters, the cause and reason codes behind it, the outbox message that carries it and
its state (issued → sent → done | failed). The unique idempotency key (kind, target, cause) makes issuing the same
action for the same cause twice yield one row.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 22:30:00
"""
import sqlalchemy as sa
from alembic import op

import anxin.db.base

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('platform_actions',
    sa.Column('action_id', sa.String(length=64), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('target', sa.String(length=80), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('reason_codes', sa.JSON(), nullable=False),
    sa.Column('rule_id', sa.String(length=60), nullable=True),
    sa.Column('cause_type', sa.String(length=100), nullable=False),
    sa.Column('cause_id', sa.String(length=100), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('issued_by', sa.String(length=140), nullable=False),
    sa.Column('issued_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('message_id', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('sent_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('acked_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('failure_reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('action_id', name=op.f('pk_platform_actions')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_platform_actions_idempotency_key'))
    )
    op.create_index('ix_platform_actions_state_issued', 'platform_actions', ['state', 'issued_at'], unique=False)
    op.create_index(op.f('ix_platform_actions_target'), 'platform_actions', ['target'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_platform_actions_target'), table_name='platform_actions')
    op.drop_index('ix_platform_actions_state_issued', table_name='platform_actions')
    op.drop_table('platform_actions')
