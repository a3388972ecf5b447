"""governance: measure extensions (issue 16, reversal); violations by creator

governance_measure_extensions keeps each time a violation extended an active measure of the same type to a later
end instead of applying its own, with the end before and after; reversing that violation (an appeal upheld) puts
the measure back to the end the standing violations give it. An index on governance_violations (creator_id,
recorded_at) serves the creator's governance record.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 12:00:00
"""
import sqlalchemy as sa
from alembic import op

import anxin.db.base

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('governance_measure_extensions',
    sa.Column('extension_id', sa.String(length=64), nullable=False),
    sa.Column('measure_id', sa.String(length=64), nullable=False),
    sa.Column('violation_id', sa.String(length=64), nullable=False),
    sa.Column('decision_id', sa.String(length=64), nullable=False),
    sa.Column('previous_ends_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('extended_to', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('extension_id', name=op.f('pk_governance_measure_extensions'))
    )
    with op.batch_alter_table('governance_measure_extensions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_governance_measure_extensions_measure_id'), ['measure_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_governance_measure_extensions_violation_id'), ['violation_id'],
                              unique=False)
    with op.batch_alter_table('governance_violations', schema=None) as batch_op:
        batch_op.create_index('ix_governance_violations_creator_recorded', ['creator_id', 'recorded_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('governance_violations', schema=None) as batch_op:
        batch_op.drop_index('ix_governance_violations_creator_recorded')
    with op.batch_alter_table('governance_measure_extensions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_governance_measure_extensions_violation_id'))
        batch_op.drop_index(batch_op.f('ix_governance_measure_extensions_measure_id'))

    op.drop_table('governance_measure_extensions')
