"""worryfree: lucky bags (无忧福袋), their entries and prizes (issue 18)

wf_lucky_bags holds one row per campaign: prizes, entry window, the seed's commitment (seed_hash) and the seed itself
(revealed by the draw), state open | drawn | cancelled, the draw's audit record and the units released back to stock.
wf_lucky_bag_entries holds one entry per consumer and bag (unique) with its eligibility decision; wf_lucky_bag_prizes
one row per winner with the prize order's id (unique).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 14:30:00
"""
import sqlalchemy as sa
from alembic import op

import anxin.db.base

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('wf_lucky_bags',
    sa.Column('bag_id', sa.String(length=64), nullable=False),
    sa.Column('live_room_id', sa.String(length=64), nullable=False),
    sa.Column('creator_id', sa.String(length=64), nullable=True),
    sa.Column('shop_id', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('prizes', sa.JSON(), nullable=False),
    sa.Column('opens_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('closes_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('seed_hash', sa.String(length=64), nullable=False),
    sa.Column('server_seed', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('decision', sa.JSON(), nullable=False),
    sa.Column('rulebook_version', sa.String(length=60), nullable=False),
    sa.Column('created_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('drawn_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('drawn_by', sa.String(length=80), nullable=True),
    sa.Column('draw', sa.JSON(), nullable=True),
    sa.Column('released', sa.JSON(), nullable=True),
    sa.Column('updated_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint("state IN ('open', 'drawn', 'cancelled')", name=op.f('ck_wf_lucky_bags_state')),
    sa.PrimaryKeyConstraint('bag_id', name=op.f('pk_wf_lucky_bags'))
    )
    op.create_index('ix_wf_lucky_bags_created', 'wf_lucky_bags', ['created_at', 'bag_id'], unique=False)
    op.create_index('ix_wf_lucky_bags_creator', 'wf_lucky_bags', ['creator_id', 'created_at', 'bag_id'], unique=False)
    op.create_index('ix_wf_lucky_bags_shop', 'wf_lucky_bags', ['shop_id', 'created_at', 'bag_id'], unique=False)
    op.create_table('wf_lucky_bag_entries',
    sa.Column('entry_id', sa.String(length=64), nullable=False),
    sa.Column('bag_id', sa.String(length=64), nullable=False),
    sa.Column('consumer_id', sa.String(length=64), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=False),
    sa.Column('entered_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('eligible', sa.Boolean(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('rule_ids', sa.JSON(), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('rulebook_version', sa.String(length=60), nullable=False),
    sa.Column('recorded_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['bag_id'], ['wf_lucky_bags.bag_id'],
                            name=op.f('fk_wf_lucky_bag_entries_bag_id_wf_lucky_bags')),
    sa.PrimaryKeyConstraint('entry_id', name=op.f('pk_wf_lucky_bag_entries')),
    sa.UniqueConstraint('bag_id', 'consumer_id', name='uq_wf_lucky_bag_entries_consumer')
    )
    op.create_index('ix_wf_lucky_bag_entries_bag', 'wf_lucky_bag_entries', ['bag_id', 'eligible', 'consumer_id'],
                    unique=False)
    op.create_table('wf_lucky_bag_prizes',
    sa.Column('bag_id', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('consumer_id', sa.String(length=64), nullable=False),
    sa.Column('listing_id', sa.String(length=64), nullable=False),
    sa.Column('unit_no', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['bag_id'], ['wf_lucky_bags.bag_id'],
                            name=op.f('fk_wf_lucky_bag_prizes_bag_id_wf_lucky_bags')),
    sa.PrimaryKeyConstraint('bag_id', 'position', name=op.f('pk_wf_lucky_bag_prizes')),
    sa.UniqueConstraint('order_id', name=op.f('uq_wf_lucky_bag_prizes_order_id'))
    )


def downgrade() -> None:
    op.drop_table('wf_lucky_bag_prizes')
    op.drop_index('ix_wf_lucky_bag_entries_bag', table_name='wf_lucky_bag_entries')
    op.drop_table('wf_lucky_bag_entries')
    op.drop_index('ix_wf_lucky_bags_shop', table_name='wf_lucky_bags')
    op.drop_index('ix_wf_lucky_bags_creator', table_name='wf_lucky_bags')
    op.drop_index('ix_wf_lucky_bags_created', table_name='wf_lucky_bags')
    op.drop_table('wf_lucky_bags')
