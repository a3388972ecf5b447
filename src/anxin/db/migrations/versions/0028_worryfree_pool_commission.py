"""catalog: listings.commission_bp, the creators' commission a shop offers (精选联盟), for the selection pool

A listing with a commission is offered to creators (issue 18, the worry-free selection pool); null: not offered.
Basis points of the price, 0..10000.

Revision ID: 0028
Revises: 0026
Create Date: 2026-12-07 14:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('commission_bp', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_listings_commission_bp'), ['commission_bp'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_listings_commission_bp'))
        batch_op.drop_column('commission_bp')
