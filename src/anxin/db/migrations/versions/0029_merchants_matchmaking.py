"""merchants: matchmaking new shops with creators (issue 18 §7)

merchant_match_runs keeps every matchmaking decision (the gate, the week judged, the proposals with reasons, rule ids
and facts, the rulebook version); merchant_invitations the invitations (pending → accepted | declined | expired, one
pending per shop and creator); merchant_creator_slots counts each creator's slots used per Beijing week (CHECK
used >= 0, taken by conditional UPDATE); merchant_live_sessions the sessions accepted invitations schedule.

Revision ID: 0029
Revises: 0023
Create Date: 2026-12-07 14:00:00
"""
import sqlalchemy as sa
from alembic import op

import anxin.db.base

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

PENDING = "state = 'pending'"


def upgrade() -> None:
    op.create_table('merchant_match_runs',
    sa.Column('run_id', sa.String(length=40), nullable=False),
    sa.Column('shop_id', sa.String(length=64), nullable=False),
    sa.Column('at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('rulebook_version', sa.String(length=40), nullable=False),
    sa.Column('eligible', sa.Boolean(), nullable=False),
    sa.Column('gate', sa.JSON(), nullable=False),
    sa.Column('proposals', sa.JSON(), nullable=False),
    sa.Column('considered', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('run_id', name=op.f('pk_merchant_match_runs'))
    )
    op.create_index('ix_merchant_match_runs_shop_at', 'merchant_match_runs', ['shop_id', 'at'], unique=False)
    op.create_table('merchant_invitations',
    sa.Column('invitation_id', sa.String(length=40), nullable=False),
    sa.Column('shop_id', sa.String(length=64), nullable=False),
    sa.Column('creator_id', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=140), nullable=False),
    sa.Column('expires_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('session_start', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('session_end', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('match', sa.JSON(), nullable=False),
    sa.Column('rulebook_version', sa.String(length=40), nullable=False),
    sa.Column('decided_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('decided_by', sa.String(length=140), nullable=True),
    sa.PrimaryKeyConstraint('invitation_id', name=op.f('pk_merchant_invitations'))
    )
    op.create_index('ix_merchant_invitations_creator', 'merchant_invitations',
                    ['creator_id', 'created_at', 'invitation_id'], unique=False)
    op.create_index('ix_merchant_invitations_shop', 'merchant_invitations', ['shop_id', 'created_at', 'invitation_id'],
                    unique=False)
    op.create_index('ix_merchant_invitations_due', 'merchant_invitations', ['state', 'expires_at'], unique=False)
    op.create_index('uq_merchant_invitations_one_pending', 'merchant_invitations', ['shop_id', 'creator_id'],
                    unique=True, sqlite_where=sa.text(PENDING), postgresql_where=sa.text(PENDING))
    op.create_table('merchant_creator_slots',
    sa.Column('creator_id', sa.String(length=64), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('used', sa.Integer(), nullable=False),
    sa.CheckConstraint('used >= 0', name=op.f('ck_merchant_creator_slots_used_not_negative')),
    sa.PrimaryKeyConstraint('creator_id', 'week_start', name=op.f('pk_merchant_creator_slots'))
    )
    op.create_table('merchant_live_sessions',
    sa.Column('session_id', sa.String(length=40), nullable=False),
    sa.Column('shop_id', sa.String(length=64), nullable=False),
    sa.Column('creator_id', sa.String(length=64), nullable=False),
    sa.Column('starts_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('ends_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('scheduled_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_merchant_live_sessions'))
    )
    op.create_index(op.f('ix_merchant_live_sessions_creator_id'), 'merchant_live_sessions', ['creator_id'],
                    unique=False)
    op.create_index(op.f('ix_merchant_live_sessions_shop_id'), 'merchant_live_sessions', ['shop_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_merchant_live_sessions_shop_id'), table_name='merchant_live_sessions')
    op.drop_index(op.f('ix_merchant_live_sessions_creator_id'), table_name='merchant_live_sessions')
    op.drop_table('merchant_live_sessions')
    op.drop_table('merchant_creator_slots')
    op.drop_index('uq_merchant_invitations_one_pending', table_name='merchant_invitations')
    op.drop_index('ix_merchant_invitations_due', table_name='merchant_invitations')
    op.drop_index('ix_merchant_invitations_shop', table_name='merchant_invitations')
    op.drop_index('ix_merchant_invitations_creator', table_name='merchant_invitations')
    op.drop_table('merchant_invitations')
    op.drop_index('ix_merchant_match_runs_shop_at', table_name='merchant_match_runs')
    op.drop_table('merchant_match_runs')
