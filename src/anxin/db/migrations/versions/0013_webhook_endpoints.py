"""webhook endpoints, their subscriptions and the delivery log (issue 14)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 22:30:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # slot reserved; filled by the change that owns it


def downgrade() -> None:
    pass
