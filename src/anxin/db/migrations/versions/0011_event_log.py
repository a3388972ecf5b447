"""the transactional event log of domain events and the handlers that have run them (issue 14)

domain_events holds each event a handler subscribes to, written in the transaction of the change that caused it,
with a lease (one process handles it at a time), attempts and the last error; domain_event_handlers marks each
(event, handler) pair done in the handler's own transaction, so a redelivered event does not run a handler twice.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 22:30:00
"""
import sqlalchemy as sa
from alembic import op

import anxin.db.base

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('domain_events',
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('occurred_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('lease_until', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_domain_events'))
    )
    op.create_index('ix_domain_events_due', 'domain_events', ['status', 'next_attempt_at'], unique=False)
    op.create_table('domain_event_handlers',
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('handler', sa.String(length=128), nullable=False),
    sa.Column('handled_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('event_id', 'handler', name=op.f('pk_domain_event_handlers'))
    )


def downgrade() -> None:
    op.drop_table('domain_event_handlers')
    op.drop_index('ix_domain_events_due', table_name='domain_events')
    op.drop_table('domain_events')
