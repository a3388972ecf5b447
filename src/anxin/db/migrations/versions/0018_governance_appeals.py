"""governance appeals and appeal channel closures (issue 16 §4)

governance_appeals holds one row per appeal of a violation: who appealed, the statement and evidence, the state
(submitted → upheld | rejected | withdrawn), the SLA deadline and, for the filing and the decision, the rule ids,
rulebook version and facts. ``open_key`` is the violation's id while the appeal is submitted and NULL after: unique,
so a violation never has two open appeals. governance_appeal_channel_closures records each closure of an
appellant's appeal channel for abuse, once per abusive appeal that caused it.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 10:00:00
"""
import sqlalchemy as sa
from alembic import op

import anxin.db.base

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('governance_appeals',
    sa.Column('appeal_id', sa.String(length=64), nullable=False),
    sa.Column('violation_id', sa.String(length=64), nullable=False),
    sa.Column('open_key', sa.String(length=64), nullable=True),
    sa.Column('appellant_type', sa.String(length=16), nullable=False),
    sa.Column('appellant_id', sa.String(length=100), nullable=False),
    sa.Column('shop_id', sa.String(length=64), nullable=True),
    sa.Column('creator_id', sa.String(length=100), nullable=True),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('filed_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('deadline_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('rulebook_version', sa.String(length=40), nullable=False),
    sa.Column('filing_rule_ids', sa.JSON(), nullable=False),
    sa.Column('filing_facts', sa.JSON(), nullable=False),
    sa.Column('decided_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('decided_by', sa.String(length=140), nullable=True),
    sa.Column('abusive', sa.Boolean(), nullable=False),
    sa.Column('decision_reason_codes', sa.JSON(), nullable=False),
    sa.Column('decision_rule_ids', sa.JSON(), nullable=False),
    sa.Column('decision_facts', sa.JSON(), nullable=False),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('decision_rulebook_version', sa.String(length=40), nullable=True),
    sa.PrimaryKeyConstraint('appeal_id', name=op.f('pk_governance_appeals')),
    sa.UniqueConstraint('open_key', name=op.f('uq_governance_appeals_open_key'))
    )
    op.create_index('ix_governance_appeals_appellant', 'governance_appeals',
                    ['appellant_type', 'appellant_id', 'deadline_at'], unique=False)
    op.create_index('ix_governance_appeals_decided_at', 'governance_appeals', ['decided_at'], unique=False)
    op.create_index('ix_governance_appeals_state_deadline', 'governance_appeals', ['state', 'deadline_at'],
                    unique=False)
    op.create_index(op.f('ix_governance_appeals_violation_id'), 'governance_appeals', ['violation_id'], unique=False)
    op.create_table('governance_appeal_channel_closures',
    sa.Column('closure_id', sa.String(length=64), nullable=False),
    sa.Column('appellant_type', sa.String(length=16), nullable=False),
    sa.Column('appellant_id', sa.String(length=100), nullable=False),
    sa.Column('cause_appeal_id', sa.String(length=64), nullable=False),
    sa.Column('closed_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('until', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('rule_id', sa.String(length=60), nullable=False),
    sa.Column('rulebook_version', sa.String(length=40), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('closure_id', name=op.f('pk_governance_appeal_channel_closures')),
    sa.UniqueConstraint('cause_appeal_id', name=op.f('uq_governance_appeal_channel_closures_cause_appeal_id'))
    )
    op.create_index('ix_governance_appeal_channel_closures_appellant', 'governance_appeal_channel_closures',
                    ['appellant_type', 'appellant_id', 'until'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_governance_appeal_channel_closures_appellant', table_name='governance_appeal_channel_closures')
    op.drop_table('governance_appeal_channel_closures')
    op.drop_index(op.f('ix_governance_appeals_violation_id'), table_name='governance_appeals')
    op.drop_index('ix_governance_appeals_state_deadline', table_name='governance_appeals')
    op.drop_index('ix_governance_appeals_decided_at', table_name='governance_appeals')
    op.drop_index('ix_governance_appeals_appellant', table_name='governance_appeals')
    op.drop_table('governance_appeals')
