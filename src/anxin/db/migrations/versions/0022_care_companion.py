"""care: the 30-day companion's outreach tasks and the consultations it counts (issue 17 §4)

care_outreach_tasks holds one task per (order, trouble), unique: the state (open → contacted → done | expired, or
held_out for the hold-out share that is never contacted), its priority, due and expiry times, the remedy suggested
and chosen, the coupon issued, the decision with its rule ids and rulebook version, and the history of its moves.
care_outreach_contacts records each consultation about an order once (repeated contacts; the effect report).

Revision ID: 0022
Revises: 0020
Create Date: 2026-12-08 10:00:00
"""
import sqlalchemy as sa
from alembic import op

import anxin.db.base

revision = '0022'
down_revision = '0021'  # re-chained after care-core's 0021 (the sim-care branch merges both)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('care_outreach_tasks',
    sa.Column('task_id', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('trouble', sa.String(length=24), nullable=False),
    sa.Column('shop_id', sa.String(length=64), nullable=False),
    sa.Column('consumer_id', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('held_out', sa.Boolean(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('trouble_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('opened_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('due_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('expires_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('source_id', sa.String(length=100), nullable=False),
    sa.Column('remedy_suggested', sa.String(length=24), nullable=False),
    sa.Column('coupon_suggested_fen', sa.BigInteger(), nullable=True),
    sa.Column('remedy_chosen', sa.String(length=24), nullable=True),
    sa.Column('coupon_fen', sa.BigInteger(), nullable=False),
    sa.Column('decision', sa.JSON(), nullable=False),
    sa.Column('rulebook_version', sa.String(length=40), nullable=False),
    sa.Column('history', sa.JSON(), nullable=False),
    sa.Column('contacted_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('closed_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('updated_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('task_id', name=op.f('pk_care_outreach_tasks')),
    sa.UniqueConstraint('order_id', 'trouble', name=op.f('uq_care_outreach_tasks_order_id_trouble'))
    )
    op.create_index('ix_care_outreach_tasks_state_due', 'care_outreach_tasks', ['state', 'due_at', 'task_id'],
                    unique=False)
    op.create_index('ix_care_outreach_tasks_shop_due', 'care_outreach_tasks', ['shop_id', 'due_at'], unique=False)
    op.create_index('ix_care_outreach_tasks_expires', 'care_outreach_tasks', ['expires_at'], unique=False)
    op.create_index('ix_care_outreach_tasks_opened', 'care_outreach_tasks', ['opened_at'], unique=False)
    op.create_table('care_outreach_contacts',
    sa.Column('consultation_id', sa.String(length=64), nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('shop_id', sa.String(length=64), nullable=True),
    sa.Column('consumer_id', sa.String(length=64), nullable=True),
    sa.Column('intent', sa.String(length=40), nullable=False),
    sa.Column('route', sa.String(length=16), nullable=False),
    sa.Column('at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('consultation_id', name=op.f('pk_care_outreach_contacts'))
    )
    op.create_index('ix_care_outreach_contacts_order_at', 'care_outreach_contacts', ['order_id', 'at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_care_outreach_contacts_order_at', table_name='care_outreach_contacts')
    op.drop_table('care_outreach_contacts')
    op.drop_index('ix_care_outreach_tasks_opened', table_name='care_outreach_tasks')
    op.drop_index('ix_care_outreach_tasks_expires', table_name='care_outreach_tasks')
    op.drop_index('ix_care_outreach_tasks_shop_due', table_name='care_outreach_tasks')
    op.drop_index('ix_care_outreach_tasks_state_due', table_name='care_outreach_tasks')
    op.drop_table('care_outreach_tasks')
