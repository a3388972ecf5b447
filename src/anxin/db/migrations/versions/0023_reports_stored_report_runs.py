"""reports: stored report runs (issue 17)

report_runs keeps every service-experience report computed: its period and comparison, the fingerprint of the
facts snapshot it was computed from, the figures, what was not computable and why, the rulebook versions in force,
the engine. One row per (period, compare, fingerprint): recomputing a report from the same facts finds that row.

Revision ID: 0023
Revises: 0020
Create Date: 2026-12-07 10:22:43
"""
import sqlalchemy as sa
from alembic import op

import anxin.db.base

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('report_runs',
    sa.Column('report_id', sa.String(length=40), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('compare', sa.String(length=7), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('as_of', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('unsupported', sa.JSON(), nullable=False),
    sa.Column('rulebooks', sa.JSON(), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('engine', sa.String(length=16), nullable=False),
    sa.Column('computed_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=140), nullable=False),
    sa.PrimaryKeyConstraint('report_id', name=op.f('pk_report_runs')),
    sa.UniqueConstraint('period', 'compare', 'fingerprint', name=op.f('uq_report_runs_period_compare_fingerprint'))
    )
    with op.batch_alter_table('report_runs', schema=None) as batch_op:
        batch_op.create_index('ix_report_runs_latest', ['period', 'compare', 'computed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('report_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_report_runs_latest')
    op.drop_table('report_runs')
