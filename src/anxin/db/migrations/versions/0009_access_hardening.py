"""access hardening: one-time login links and page sessions (issue 13)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 19:10:00
"""
import sqlalchemy as sa
from alembic import op

import anxin.db.base

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_links',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('expires_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('used_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_login_links'))
    )
    with op.batch_alter_table('login_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_links_key_id'), ['key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_links_expires_at'), ['expires_at'], unique=False)

    op.create_table('web_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('expires_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('ended_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_web_sessions'))
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_sessions_key_id'), ['key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_web_sessions_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_sessions_expires_at'))
        batch_op.drop_index(batch_op.f('ix_web_sessions_key_id'))
    op.drop_table('web_sessions')
    with op.batch_alter_table('login_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_links_expires_at'))
        batch_op.drop_index(batch_op.f('ix_login_links_key_id'))
    op.drop_table('login_links')
