"""care: consultations, tickets, timeline, messages, breaches, satisfaction (issue 17)

care_consultations keeps each consultation with its routing decision (intent, route, owner, confidence, reason codes,
rule ids, rulebook and model versions, facts); care_tickets the tickets (owner, state, version, SLA instants;
queue_due orders the queues by the next deadline, check_at is what the care.sla job scans); care_timeline every
change; care_messages the messages (unique id); care_breaches one per ticket and kind; care_satisfaction one rating
per ticket and closure.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-08 12:00:00
"""
import sqlalchemy as sa
from alembic import op

import anxin.db.base

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('care_breaches',
    sa.Column('ticket_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('due', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('owner', sa.String(length=16), nullable=False),
    sa.Column('shop_id', sa.String(length=64), nullable=True),
    sa.Column('rule_id', sa.String(length=60), nullable=False),
    sa.Column('rulebook_version', sa.String(length=40), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('ticket_id', 'kind', name=op.f('pk_care_breaches'))
    )
    with op.batch_alter_table('care_breaches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_breaches_at'), ['at'], unique=False)

    op.create_table('care_consultations',
    sa.Column('consultation_id', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('topic', sa.String(length=24), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('customer_role', sa.String(length=16), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=True),
    sa.Column('shop_id', sa.String(length=64), nullable=True),
    sa.Column('merchant_id', sa.String(length=64), nullable=True),
    sa.Column('opened_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('intent', sa.String(length=40), nullable=True),
    sa.Column('route', sa.String(length=16), nullable=True),
    sa.Column('owner', sa.String(length=16), nullable=True),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('reason_codes', sa.JSON(), nullable=True),
    sa.Column('rule_ids', sa.JSON(), nullable=True),
    sa.Column('rulebook_version', sa.String(length=40), nullable=True),
    sa.Column('model_version', sa.String(length=60), nullable=True),
    sa.Column('facts', sa.JSON(), nullable=True),
    sa.Column('routed_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('ticket_id', sa.String(length=64), nullable=True),
    sa.Column('fallback_owner', sa.String(length=16), nullable=True),
    sa.Column('answer', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('consultation_id', name=op.f('pk_care_consultations'))
    )
    with op.batch_alter_table('care_consultations', schema=None) as batch_op:
        batch_op.create_index('ix_care_consultations_customer_order',
                              ['customer_role', 'customer_id', 'order_id', 'opened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_consultations_opened_at'), ['opened_at'], unique=False)

    op.create_table('care_messages',
    sa.Column('message_id', sa.String(length=64), nullable=False),
    sa.Column('consultation_id', sa.String(length=64), nullable=False),
    sa.Column('ticket_id', sa.String(length=64), nullable=True),
    sa.Column('author_role', sa.String(length=16), nullable=False),
    sa.Column('author_id', sa.String(length=100), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('posted_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('applied_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('message_id', name=op.f('pk_care_messages'))
    )
    with op.batch_alter_table('care_messages', schema=None) as batch_op:
        batch_op.create_index('ix_care_messages_consultation', ['consultation_id', 'posted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_messages_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('care_satisfaction',
    sa.Column('ticket_id', sa.String(length=64), nullable=False),
    sa.Column('closure_no', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('rated_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('rated_by', sa.String(length=140), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('intent', sa.String(length=40), nullable=False),
    sa.Column('owner', sa.String(length=16), nullable=False),
    sa.Column('shop_id', sa.String(length=64), nullable=True),
    sa.Column('merchant_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('ticket_id', 'closure_no', name=op.f('pk_care_satisfaction'))
    )
    with op.batch_alter_table('care_satisfaction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_satisfaction_rated_at'), ['rated_at'], unique=False)

    op.create_table('care_tickets',
    sa.Column('ticket_id', sa.String(length=64), nullable=False),
    sa.Column('consultation_id', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('topic', sa.String(length=24), nullable=False),
    sa.Column('intent', sa.String(length=40), nullable=False),
    sa.Column('owner', sa.String(length=16), nullable=False),
    sa.Column('first_owner', sa.String(length=16), nullable=False),
    sa.Column('customer_role', sa.String(length=16), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('shop_id', sa.String(length=64), nullable=True),
    sa.Column('merchant_id', sa.String(length=64), nullable=True),
    sa.Column('order_id', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('opened_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('rulebook_version', sa.String(length=40), nullable=False),
    sa.Column('first_reply_from', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('first_reply_due', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('resolution_from', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('resolution_due', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('first_replied_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('merchant_replied_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('escalated_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('resolved_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('close_due', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('closed_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('closure_no', sa.Integer(), nullable=False),
    sa.Column('first_reply_breached_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('resolution_breached_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('breached', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('queue_due', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('check_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_care_tickets')),
    sa.UniqueConstraint('consultation_id', name=op.f('uq_care_tickets_consultation_id'))
    )
    with op.batch_alter_table('care_tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_tickets_check_at'), ['check_at'], unique=False)
        batch_op.create_index('ix_care_tickets_customer_queue',
                              ['customer_role', 'customer_id', 'queue_due', 'ticket_id'], unique=False)
        batch_op.create_index('ix_care_tickets_first_owner_shop', ['first_owner', 'shop_id', 'opened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_tickets_opened_at'), ['opened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_tickets_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_care_tickets_owner_queue', ['owner', 'queue_due', 'ticket_id'], unique=False)
        batch_op.create_index('ix_care_tickets_queue', ['queue_due', 'ticket_id'], unique=False)
        batch_op.create_index('ix_care_tickets_shop_queue', ['shop_id', 'queue_due', 'ticket_id'], unique=False)

    op.create_table('care_timeline',
    sa.Column('entry_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('ticket_id', sa.String(length=64), nullable=False),
    sa.Column('at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('actor', sa.String(length=140), nullable=False),
    sa.Column('from_state', sa.String(length=20), nullable=True),
    sa.Column('to_state', sa.String(length=20), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('entry_id', name=op.f('pk_care_timeline'))
    )
    with op.batch_alter_table('care_timeline', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_timeline_ticket_id'), ['ticket_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('care_timeline', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_timeline_ticket_id'))

    op.drop_table('care_timeline')
    with op.batch_alter_table('care_tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_care_tickets_shop_queue')
        batch_op.drop_index('ix_care_tickets_queue')
        batch_op.drop_index('ix_care_tickets_owner_queue')
        batch_op.drop_index(batch_op.f('ix_care_tickets_order_id'))
        batch_op.drop_index(batch_op.f('ix_care_tickets_opened_at'))
        batch_op.drop_index('ix_care_tickets_first_owner_shop')
        batch_op.drop_index('ix_care_tickets_customer_queue')
        batch_op.drop_index(batch_op.f('ix_care_tickets_check_at'))

    op.drop_table('care_tickets')
    with op.batch_alter_table('care_satisfaction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_satisfaction_rated_at'))

    op.drop_table('care_satisfaction')
    with op.batch_alter_table('care_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_messages_ticket_id'))
        batch_op.drop_index('ix_care_messages_consultation')

    op.drop_table('care_messages')
    with op.batch_alter_table('care_consultations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_consultations_opened_at'))
        batch_op.drop_index('ix_care_consultations_customer_order')

    op.drop_table('care_consultations')
    with op.batch_alter_table('care_breaches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_breaches_at'))

    op.drop_table('care_breaches')
