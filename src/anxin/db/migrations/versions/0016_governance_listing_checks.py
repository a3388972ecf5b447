"""governance: listing compliance checks (issue 16 §5)

governance_listing_checks holds one row per published listing version judged against the listing-terms rulebook:
the outcome (pass | needs_review | blocked), the matched terms with their positions, rule ids, reason codes, the
rulebook version and the facts used, and for needs_review the operators' queue state. Unique per (listing, text
hash) so a redelivered listing event stores nothing twice.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 10:00:00
"""
import sqlalchemy as sa
from alembic import op

import anxin.db.base

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('governance_listing_checks',
    sa.Column('check_id', sa.String(length=64), nullable=False),
    sa.Column('listing_id', sa.String(length=64), nullable=False),
    sa.Column('shop_id', sa.String(length=64), nullable=False),
    sa.Column('category_id', sa.String(length=64), nullable=False),
    sa.Column('text_hash', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('matches', sa.JSON(), nullable=False),
    sa.Column('rule_ids', sa.JSON(), nullable=False),
    sa.Column('reason_codes', sa.JSON(), nullable=False),
    sa.Column('rulebook_version', sa.String(length=40), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('checked_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('review_state', sa.String(length=16), nullable=False),
    sa.Column('violation_id', sa.String(length=64), nullable=True),
    sa.Column('decided_by', sa.String(length=140), nullable=True),
    sa.Column('decided_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('check_id', name=op.f('pk_governance_listing_checks')),
    sa.UniqueConstraint('listing_id', 'text_hash', name=op.f('uq_governance_listing_checks_listing_id_text_hash'))
    )
    op.create_index('ix_governance_listing_checks_outcome_checked', 'governance_listing_checks',
                    ['outcome', 'checked_at'], unique=False)
    op.create_index(op.f('ix_governance_listing_checks_shop_id'), 'governance_listing_checks', ['shop_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_governance_listing_checks_shop_id'), table_name='governance_listing_checks')
    op.drop_index('ix_governance_listing_checks_outcome_checked', table_name='governance_listing_checks')
    op.drop_table('governance_listing_checks')
