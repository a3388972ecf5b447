"""job failures: periodic jobs record failing items and retry them with backoff (issue 13)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 19:10:00
"""
import sqlalchemy as sa
from alembic import op

import anxin.db.base

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('job_failures',
    sa.Column('job', sa.String(length=64), nullable=False),
    sa.Column('item', sa.String(length=200), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('first_failed_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('last_failed_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('next_retry_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('job', 'item', name=op.f('pk_job_failures'))
    )
    with op.batch_alter_table('job_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_failures_next_retry_at'), ['next_retry_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('job_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_failures_next_retry_at'))

    op.drop_table('job_failures')
