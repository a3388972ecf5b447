"""score snapshots, score runs and the score deduction ledger

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 12:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

import anxin.db.base

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('score_runs',
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('rulebook_version', sa.String(length=40), nullable=False),
    sa.Column('engine', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('ran_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('as_of', name=op.f('pk_score_runs'))
    )
    op.create_table('score_snapshots',
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('subject_kind', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.String(length=64), nullable=False),
    sa.Column('rulebook_version', sa.String(length=40), nullable=False),
    sa.Column('eligible', sa.Boolean(), nullable=False),
    sa.Column('score_x100', sa.BigInteger(), nullable=True),
    sa.Column('band', sa.String(length=16), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('as_of', 'subject_kind', 'subject_id', name=op.f('pk_score_snapshots'))
    )
    with op.batch_alter_table('score_snapshots', schema=None) as batch_op:
        batch_op.create_index('ix_score_snapshots_subject', ['subject_kind', 'subject_id', 'as_of'], unique=False)

    op.create_table('score_deductions',
    sa.Column('deduction_id', sa.String(length=40), nullable=False),
    sa.Column('shop_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('points_x100', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('effective_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('expires_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('created_by', sa.String(length=140), nullable=False),
    sa.Column('created_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('revoked_by', sa.String(length=140), nullable=True),
    sa.PrimaryKeyConstraint('deduction_id', name=op.f('pk_score_deductions'))
    )
    with op.batch_alter_table('score_deductions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_score_deductions_shop_id'), ['shop_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('score_deductions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_deductions_shop_id'))
    op.drop_table('score_deductions')
    with op.batch_alter_table('score_snapshots', schema=None) as batch_op:
        batch_op.drop_index('ix_score_snapshots_subject')
    op.drop_table('score_snapshots')
    op.drop_table('score_runs')
