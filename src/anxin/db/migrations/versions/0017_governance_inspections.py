"""governance: sampling inspection plans and their samples (issue 16 §6)

governance_inspection_plans holds one plan per period (the unique period id makes planning a period twice yield one
plan): its budget, seed, rulebook version, the strata's tallies when drawn and the windows the facts were read over.
governance_inspection_samples holds the plan's picks, each with its weight, draw key, factors, rule ids and facts,
and its result once recorded (passed, or failed with defects and the violation it recorded).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 12:00:00
"""
import sqlalchemy as sa
from alembic import op

import anxin.db.base

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('governance_inspection_plans',
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('period_id', sa.String(length=40), nullable=False),
    sa.Column('budget', sa.Integer(), nullable=False),
    sa.Column('seed', sa.BigInteger(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('reason_codes', sa.JSON(), nullable=False),
    sa.Column('rule_ids', sa.JSON(), nullable=False),
    sa.Column('rulebook_version', sa.String(length=40), nullable=False),
    sa.Column('candidates', sa.Integer(), nullable=False),
    sa.Column('strata', sa.JSON(), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=140), nullable=False),
    sa.Column('created_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('plan_id', name=op.f('pk_governance_inspection_plans')),
    sa.UniqueConstraint('period_id', name=op.f('uq_governance_inspection_plans_period_id'))
    )
    op.create_table('governance_inspection_samples',
    sa.Column('sample_id', sa.String(length=64), nullable=False),
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.String(length=64), nullable=False),
    sa.Column('shop_id', sa.String(length=64), nullable=False),
    sa.Column('stratum', sa.String(length=60), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('draw_key', sa.Float(), nullable=False),
    sa.Column('pick', sa.String(length=16), nullable=False),
    sa.Column('factors', sa.JSON(), nullable=False),
    sa.Column('rule_ids', sa.JSON(), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('rulebook_version', sa.String(length=40), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('defects', sa.JSON(), nullable=False),
    sa.Column('finding', sa.JSON(), nullable=True),
    sa.Column('result_by', sa.String(length=140), nullable=True),
    sa.Column('result_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('violation_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('sample_id', name=op.f('pk_governance_inspection_samples')),
    sa.UniqueConstraint('plan_id', 'listing_id', name=op.f('uq_governance_inspection_samples_plan_id_listing_id'))
    )
    op.create_index('ix_governance_inspection_samples_failures', 'governance_inspection_samples',
                    ['shop_id', 'state', 'result_at'], unique=False)
    op.create_index('ix_governance_inspection_samples_plan_rank', 'governance_inspection_samples',
                    ['plan_id', 'rank'], unique=False)
    op.create_index(op.f('ix_governance_inspection_samples_shop_id'), 'governance_inspection_samples',
                    ['shop_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_governance_inspection_samples_shop_id'), table_name='governance_inspection_samples')
    op.drop_index('ix_governance_inspection_samples_plan_rank', table_name='governance_inspection_samples')
    op.drop_index('ix_governance_inspection_samples_failures', table_name='governance_inspection_samples')
    op.drop_table('governance_inspection_samples')
    op.drop_table('governance_inspection_plans')
