"""worryfree: enrolments, the worry-free tag and its history, the shops' violations read model (issue 18)

wf_enrolments holds one row per listing (the key makes concurrent enrolments of one listing one row): state
active | withdrawn | refused with the decision (reasons, rule ids, facts) and the rulebook version. wf_tag_states
holds each listing's current tag with the decision that set it; wf_tag_history every gain and loss with reasons.
wf_shop_violations keeps governance's violations against shops (recorded, reversed) for the enrolment rule
"no severe violation in the last N days".

Revision ID: 0026
Revises: 0024
Create Date: 2026-12-07 14:00:00
"""
import sqlalchemy as sa
from alembic import op

import anxin.db.base

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('wf_enrolments',
    sa.Column('listing_id', sa.String(length=64), nullable=False),
    sa.Column('shop_id', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('decision', sa.JSON(), nullable=False),
    sa.Column('rulebook_version', sa.String(length=40), nullable=False),
    sa.Column('requested_by', sa.String(length=80), nullable=False),
    sa.Column('requested_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('decided_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('listing_id', name=op.f('pk_wf_enrolments'))
    )
    op.create_index('ix_wf_enrolments_shop_state', 'wf_enrolments', ['shop_id', 'state', 'listing_id'], unique=False)
    op.create_index('ix_wf_enrolments_state', 'wf_enrolments', ['state', 'listing_id'], unique=False)
    op.create_table('wf_tag_states',
    sa.Column('listing_id', sa.String(length=64), nullable=False),
    sa.Column('shop_id', sa.String(length=64), nullable=False),
    sa.Column('tagged', sa.Boolean(), nullable=False),
    sa.Column('since', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('rule_ids', sa.JSON(), nullable=False),
    sa.Column('rulebook_version', sa.String(length=40), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('trigger', sa.String(length=40), nullable=False),
    sa.Column('evaluated_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('listing_id', name=op.f('pk_wf_tag_states'))
    )
    op.create_index('ix_wf_tag_states_shop', 'wf_tag_states', ['shop_id', 'listing_id'], unique=False)
    op.create_index('ix_wf_tag_states_tagged', 'wf_tag_states', ['tagged', 'listing_id'], unique=False)
    op.create_table('wf_tag_history',
    sa.Column('entry_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('listing_id', sa.String(length=64), nullable=False),
    sa.Column('shop_id', sa.String(length=64), nullable=False),
    sa.Column('change', sa.String(length=8), nullable=False),
    sa.Column('at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('rule_ids', sa.JSON(), nullable=False),
    sa.Column('rulebook_version', sa.String(length=40), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('trigger', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('entry_id', name=op.f('pk_wf_tag_history'))
    )
    op.create_index('ix_wf_tag_history_listing_at', 'wf_tag_history', ['listing_id', 'at', 'entry_id'],
                    unique=False)
    op.create_table('wf_shop_violations',
    sa.Column('violation_id', sa.String(length=64), nullable=False),
    sa.Column('shop_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('violation_class', sa.String(length=16), nullable=False),
    sa.Column('recorded_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('reversed_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('violation_id', name=op.f('pk_wf_shop_violations'))
    )
    op.create_index('ix_wf_shop_violations_shop_at', 'wf_shop_violations', ['shop_id', 'recorded_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_wf_shop_violations_shop_at', table_name='wf_shop_violations')
    op.drop_table('wf_shop_violations')
    op.drop_index('ix_wf_tag_history_listing_at', table_name='wf_tag_history')
    op.drop_table('wf_tag_history')
    op.drop_index('ix_wf_tag_states_tagged', table_name='wf_tag_states')
    op.drop_index('ix_wf_tag_states_shop', table_name='wf_tag_states')
    op.drop_table('wf_tag_states')
    op.drop_index('ix_wf_enrolments_state', table_name='wf_enrolments')
    op.drop_index('ix_wf_enrolments_shop_state', table_name='wf_enrolments')
    op.drop_table('wf_enrolments')
