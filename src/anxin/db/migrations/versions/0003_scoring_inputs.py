"""scoring inputs: complaints, chat sessions, consumers, content feedback, orders.creator_id

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 11:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

import anxin.db.base

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('complaints',
    sa.Column('complaint_id', sa.String(length=64), nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('shop_id', sa.String(length=64), nullable=False),
    sa.Column('consumer_id', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('filed_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('complaint_id', name=op.f('pk_complaints'))
    )
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaints_consumer_id'), ['consumer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_filed_at'), ['filed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_shop_id'), ['shop_id'], unique=False)

    op.create_table('chat_sessions',
    sa.Column('session_id', sa.String(length=64), nullable=False),
    sa.Column('shop_id', sa.String(length=64), nullable=False),
    sa.Column('consumer_id', sa.String(length=64), nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=True),
    sa.Column('opened_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('to_human_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('first_human_reply_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('closed_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('as_of', anxin.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_chat_sessions'))
    )
    with op.batch_alter_table('chat_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_sessions_opened_at'), ['opened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_chat_sessions_shop_id'), ['shop_id'], unique=False)

    op.create_table('consumers',
    sa.Column('consumer_id', sa.String(length=64), nullable=False),
    sa.Column('registered_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('as_of', anxin.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('consumer_id', name=op.f('pk_consumers'))
    )
    op.create_table('content_feedback',
    sa.Column('feedback_id', sa.String(length=64), nullable=False),
    sa.Column('creator_id', sa.String(length=64), nullable=False),
    sa.Column('content_id', sa.String(length=64), nullable=False),
    sa.Column('sentiment', sa.String(length=16), nullable=False),
    sa.Column('at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('feedback_id', name=op.f('pk_content_feedback'))
    )
    with op.batch_alter_table('content_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_content_feedback_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_content_feedback_creator_id'), ['creator_id'], unique=False)

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('creator_id', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_orders_creator_id'), ['creator_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_creator_id'))
        batch_op.drop_column('creator_id')

    with op.batch_alter_table('content_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_content_feedback_creator_id'))
        batch_op.drop_index(batch_op.f('ix_content_feedback_at'))

    op.drop_table('content_feedback')
    op.drop_table('consumers')
    with op.batch_alter_table('chat_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_sessions_shop_id'))
        batch_op.drop_index(batch_op.f('ix_chat_sessions_opened_at'))

    op.drop_table('chat_sessions')
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaints_shop_id'))
        batch_op.drop_index(batch_op.f('ix_complaints_order_id'))
        batch_op.drop_index(batch_op.f('ix_complaints_filed_at'))
        batch_op.drop_index(batch_op.f('ix_complaints_consumer_id'))

    op.drop_table('complaints')
