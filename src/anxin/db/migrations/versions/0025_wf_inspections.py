"""worryfree: inbound inspection plans, verdicts and per-unit results (issue 18 §2)

wf_inspections holds one row per lot: the sample plan (severity, sample size, acceptance number, checks, with the
reasons, rule ids and facts that made it, and the rulebook version) and, once decided, the verdict (outcome, reason
codes, rule ids, facts, defective units, when and by whom). wf_inspection_units holds the sampled units' results.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 14:00:00
"""
import sqlalchemy as sa
from alembic import op

import anxin.db.base

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('wf_inspections',
    sa.Column('lot_id', sa.String(length=64), nullable=False),
    sa.Column('shop_id', sa.String(length=64), nullable=False),
    sa.Column('listing_id', sa.String(length=64), nullable=False),
    sa.Column('supplier_id', sa.String(length=64), nullable=False),
    sa.Column('category_id', sa.String(length=64), nullable=True),
    sa.Column('lot_size', sa.Integer(), nullable=False),
    sa.Column('received_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('sample_size', sa.Integer(), nullable=False),
    sa.Column('accept_number', sa.Integer(), nullable=False),
    sa.Column('checks', sa.JSON(), nullable=False),
    sa.Column('plan', sa.JSON(), nullable=False),
    sa.Column('rulebook_version', sa.String(length=60), nullable=False),
    sa.Column('planned_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('reasons', sa.JSON(), nullable=True),
    sa.Column('rule_ids', sa.JSON(), nullable=True),
    sa.Column('facts', sa.JSON(), nullable=True),
    sa.Column('defective_units', sa.Integer(), nullable=True),
    sa.Column('decided_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('decided_by', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('lot_id', name=op.f('pk_wf_inspections'))
    )
    op.create_index('ix_wf_inspections_queue', 'wf_inspections', ['outcome', 'received_at', 'lot_id'], unique=False)
    op.create_index('ix_wf_inspections_shop', 'wf_inspections', ['shop_id', 'received_at', 'lot_id'], unique=False)
    op.create_index('ix_wf_inspections_category', 'wf_inspections', ['category_id', 'outcome', 'decided_at'],
                    unique=False)
    op.create_index('ix_wf_inspections_supplier', 'wf_inspections', ['supplier_id', 'outcome', 'decided_at'],
                    unique=False)
    op.create_table('wf_inspection_units',
    sa.Column('lot_id', sa.String(length=64), nullable=False),
    sa.Column('unit_no', sa.Integer(), nullable=False),
    sa.Column('results', sa.JSON(), nullable=False),
    sa.Column('defective', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('recorded_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('lot_id', 'unit_no', name=op.f('pk_wf_inspection_units'))
    )


def downgrade() -> None:
    op.drop_table('wf_inspection_units')
    op.drop_index('ix_wf_inspections_supplier', table_name='wf_inspections')
    op.drop_index('ix_wf_inspections_category', table_name='wf_inspections')
    op.drop_index('ix_wf_inspections_shop', table_name='wf_inspections')
    op.drop_index('ix_wf_inspections_queue', table_name='wf_inspections')
    op.drop_table('wf_inspections')
