"""aftersales: a flagged return's goods refund waits for someone to look at what came back

Risk control held only the freight of a flagged return; the refund went out when the receipt deadline passed,
even on an empty parcel nobody opened (issue 19).

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 21:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('aftersale_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refund_held', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('aftersale_cases', schema=None) as batch_op:
        batch_op.drop_column('refund_held')
