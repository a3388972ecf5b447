"""governance: IP complaints (issue 16 §7)

governance_ip_complaints holds one row per complaint a rights holder files against listings of one shop: the proof
of rights, the merchant's counter-notice, and the operators' decision (outcome, reason codes, rule ids, rulebook
version, facts, and the violation recorded per listing). The unique (rights holder, client key) makes filing twice
with the same key one complaint.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 07:24:27
"""
import sqlalchemy as sa
from alembic import op

import anxin.db.base

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('governance_ip_complaints',
    sa.Column('complaint_id', sa.String(length=64), nullable=False),
    sa.Column('rights_holder_id', sa.String(length=100), nullable=False),
    sa.Column('client_key', sa.String(length=100), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('shop_id', sa.String(length=64), nullable=False),
    sa.Column('listing_ids', sa.JSON(), nullable=False),
    sa.Column('rights_kind', sa.String(length=16), nullable=False),
    sa.Column('proof', sa.JSON(), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('filing_rule_ids', sa.JSON(), nullable=False),
    sa.Column('rulebook_version', sa.String(length=40), nullable=False),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('filed_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('counter_notice_deadline', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('due_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('counter_noticed_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('counter_statement', sa.Text(), nullable=True),
    sa.Column('counter_evidence', sa.JSON(), nullable=True),
    sa.Column('counter_by', sa.String(length=140), nullable=True),
    sa.Column('ready_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('decision_due_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('reason_codes', sa.JSON(), nullable=True),
    sa.Column('decision_rule_ids', sa.JSON(), nullable=True),
    sa.Column('decision_version', sa.String(length=40), nullable=True),
    sa.Column('facts', sa.JSON(), nullable=True),
    sa.Column('violations', sa.JSON(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('decided_by', sa.String(length=140), nullable=True),
    sa.Column('decided_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('withdrawn_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('complaint_id', name=op.f('pk_governance_ip_complaints')),
    sa.UniqueConstraint('rights_holder_id', 'client_key', name='uq_governance_ip_complaints_client_key')
    )
    with op.batch_alter_table('governance_ip_complaints', schema=None) as batch_op:
        batch_op.create_index('ix_governance_ip_complaints_holder_due', ['rights_holder_id', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_governance_ip_complaints_shop_id'), ['shop_id'], unique=False)
        batch_op.create_index('ix_governance_ip_complaints_state_due', ['state', 'due_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('governance_ip_complaints', schema=None) as batch_op:
        batch_op.drop_index('ix_governance_ip_complaints_state_due')
        batch_op.drop_index(batch_op.f('ix_governance_ip_complaints_shop_id'))
        batch_op.drop_index('ix_governance_ip_complaints_holder_due')

    op.drop_table('governance_ip_complaints')
