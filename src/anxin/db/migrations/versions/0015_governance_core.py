"""governance core: violations, points, measures, decisions and per-owner records (issue 16)

governance_violations holds one row per violation, unique per (source_type, source_id, kind) so a finding or an
operator's request records it once; governance_points its points with their expiry; governance_measures the
measures the ladder applied (their platform actions, their end and state); governance_decisions every decision with
its reason codes, rule ids, rulebook version and facts; governance_records one row per shop or creator, locked by
every change to its points and measures.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 07:30:25
"""
import sqlalchemy as sa
from alembic import op

import anxin.db.base

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('governance_decisions',
    sa.Column('decision_id', sa.String(length=64), nullable=False),
    sa.Column('owner', sa.String(length=80), nullable=False),
    sa.Column('violation_id', sa.String(length=64), nullable=True),
    sa.Column('step', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('reason_codes', sa.JSON(), nullable=False),
    sa.Column('rule_ids', sa.JSON(), nullable=False),
    sa.Column('rulebook_version', sa.String(length=40), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('decided_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('decision_id', name=op.f('pk_governance_decisions'))
    )
    with op.batch_alter_table('governance_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_governance_decisions_owner'), ['owner'], unique=False)
        batch_op.create_index(batch_op.f('ix_governance_decisions_violation_id'), ['violation_id'], unique=False)

    op.create_table('governance_measures',
    sa.Column('measure_id', sa.String(length=64), nullable=False),
    sa.Column('owner', sa.String(length=80), nullable=False),
    sa.Column('target', sa.String(length=80), nullable=False),
    sa.Column('palette_id', sa.String(length=60), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('strictness', sa.Integer(), nullable=False),
    sa.Column('starts_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('ends_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('violation_id', sa.String(length=64), nullable=False),
    sa.Column('decision_id', sa.String(length=64), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=True),
    sa.Column('action_ids', sa.JSON(), nullable=False),
    sa.Column('lift_action_ids', sa.JSON(), nullable=False),
    sa.Column('ended_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('end_reason', sa.String(length=60), nullable=True),
    sa.PrimaryKeyConstraint('measure_id', name=op.f('pk_governance_measures'))
    )
    with op.batch_alter_table('governance_measures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_governance_measures_owner'), ['owner'], unique=False)
        batch_op.create_index('ix_governance_measures_state_ends', ['state', 'ends_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_governance_measures_target'), ['target'], unique=False)
        batch_op.create_index(batch_op.f('ix_governance_measures_violation_id'), ['violation_id'], unique=False)

    op.create_table('governance_points',
    sa.Column('entry_id', sa.String(length=64), nullable=False),
    sa.Column('violation_id', sa.String(length=64), nullable=False),
    sa.Column('owner', sa.String(length=80), nullable=False),
    sa.Column('violation_class', sa.String(length=16), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('starts_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('expires_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('entry_id', name=op.f('pk_governance_points'))
    )
    with op.batch_alter_table('governance_points', schema=None) as batch_op:
        batch_op.create_index('ix_governance_points_owner_state', ['owner', 'state'], unique=False)
        batch_op.create_index('ix_governance_points_state_expires', ['state', 'expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_governance_points_violation_id'), ['violation_id'], unique=False)

    op.create_table('governance_records',
    sa.Column('owner', sa.String(length=80), nullable=False),
    sa.Column('created_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('owner', name=op.f('pk_governance_records'))
    )
    op.create_table('governance_violations',
    sa.Column('violation_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('violation_class', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=80), nullable=False),
    sa.Column('owner', sa.String(length=80), nullable=False),
    sa.Column('shop_id', sa.String(length=64), nullable=True),
    sa.Column('creator_id', sa.String(length=64), nullable=True),
    sa.Column('severity', sa.String(length=16), nullable=True),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('appealable', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('source_type', sa.String(length=60), nullable=False),
    sa.Column('source_id', sa.String(length=120), nullable=False),
    sa.Column('recorded_by', sa.String(length=140), nullable=False),
    sa.Column('happened_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('recorded_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('decision_id', sa.String(length=64), nullable=False),
    sa.Column('reversed_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('reversal', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('violation_id', name=op.f('pk_governance_violations')),
    sa.UniqueConstraint('source_type', 'source_id', 'kind',
                        name=op.f('uq_governance_violations_source_type_source_id_kind'))
    )
    with op.batch_alter_table('governance_violations', schema=None) as batch_op:
        batch_op.create_index('ix_governance_violations_owner_recorded', ['owner', 'recorded_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_governance_violations_shop_id'), ['shop_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('governance_violations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_governance_violations_shop_id'))
        batch_op.drop_index('ix_governance_violations_owner_recorded')

    op.drop_table('governance_violations')
    op.drop_table('governance_records')
    with op.batch_alter_table('governance_points', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_governance_points_violation_id'))
        batch_op.drop_index('ix_governance_points_state_expires')
        batch_op.drop_index('ix_governance_points_owner_state')

    op.drop_table('governance_points')
    with op.batch_alter_table('governance_measures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_governance_measures_violation_id'))
        batch_op.drop_index(batch_op.f('ix_governance_measures_target'))
        batch_op.drop_index('ix_governance_measures_state_ends')
        batch_op.drop_index(batch_op.f('ix_governance_measures_owner'))

    op.drop_table('governance_measures')
    with op.batch_alter_table('governance_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_governance_decisions_violation_id'))
        batch_op.drop_index(batch_op.f('ix_governance_decisions_owner'))

    op.drop_table('governance_decisions')
