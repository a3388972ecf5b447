"""worryfree: a lucky bag's cancellation (who, when, why)

The owner may cancel an open bag until its entry window opens, an operator until it is drawn; the prize stock goes
back to its lots (issue 18).

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 18:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('wf_lucky_bags', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('cancelled_by', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('cancel_reason', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('wf_lucky_bags', schema=None) as batch_op:
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('cancelled_by')
        batch_op.drop_column('cancelled_at')
