"""the transactional event log of domain events and the handlers that have run them (issue 14)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 22:30:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # slot reserved; filled by the change that owns it


def downgrade() -> None:
    pass
