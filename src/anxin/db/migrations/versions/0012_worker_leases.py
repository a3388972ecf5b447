"""leases that let several workers share the periodic jobs (issue 14)

worker_leases holds one row per periodic job: who holds its lease until when (a worker claims it with one
conditional UPDATE, renews it by heartbeat, releases it with the time the job is next due), the fence bumped by
every claim (a worker whose lease was taken over can neither renew nor record), and the job's last run for the
operators' page. Rows are created by the workers for the jobs they run, so nothing is seeded here.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 22:30:00
"""
import sqlalchemy as sa
from alembic import op

from anxin.db.base import UTCDateTime

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('worker_leases',
    sa.Column('job', sa.String(length=64), nullable=False),
    sa.Column('leased', sa.Boolean(), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=True),
    sa.Column('fence', sa.BigInteger(), nullable=False),
    sa.Column('lease_until', UTCDateTime(), nullable=True),
    sa.Column('heartbeat_at', UTCDateTime(), nullable=True),
    sa.Column('next_due_at', UTCDateTime(), nullable=True),
    sa.Column('last_started_at', UTCDateTime(), nullable=True),
    sa.Column('last_finished_at', UTCDateTime(), nullable=True),
    sa.Column('last_holder', sa.String(length=200), nullable=True),
    sa.Column('last_outcome', sa.String(length=16), nullable=True),
    sa.Column('last_summary', sa.String(length=1000), nullable=True),
    sa.PrimaryKeyConstraint('job', name=op.f('pk_worker_leases'))
    )


def downgrade() -> None:
    op.drop_table('worker_leases')
