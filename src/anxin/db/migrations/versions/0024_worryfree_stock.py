"""worryfree: warehouse lots, reservations, unbacked orders; orders gain fulfilled_from, worry_free, prize_of (issue 18)

wf_lots holds each lot the platform's warehouse received (units available / reserved / shipped / removed, with
CHECKs that available and reserved never go below zero: overselling is impossible by construction);
wf_reservations each holder's units per lot (UNIQUE(holder, listing_id, lot_id)); wf_unbacked_orders the paid
orders of enrolled listings that found no stock. orders gain the worry-free facts set at payment.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 14:10:00
"""
import sqlalchemy as sa
from alembic import op

import anxin.db.base

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('wf_lots',
    sa.Column('lot_id', sa.String(length=64), nullable=False),
    sa.Column('listing_id', sa.String(length=64), nullable=False),
    sa.Column('shop_id', sa.String(length=64), nullable=False),
    sa.Column('supplier_id', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('produced_on', sa.Date(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('received_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('units_available', sa.Integer(), server_default='0', nullable=False),
    sa.Column('units_reserved', sa.Integer(), server_default='0', nullable=False),
    sa.Column('units_shipped', sa.Integer(), server_default='0', nullable=False),
    sa.Column('units_removed', sa.Integer(), server_default='0', nullable=False),
    sa.Column('verdict_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint('units_available >= 0', name=op.f('ck_wf_lots_units_available_nonnegative')),
    sa.CheckConstraint('units_reserved >= 0', name=op.f('ck_wf_lots_units_reserved_nonnegative')),
    sa.PrimaryKeyConstraint('lot_id', name=op.f('pk_wf_lots'))
    )
    with op.batch_alter_table('wf_lots', schema=None) as batch_op:
        batch_op.create_index('ix_wf_lots_pick', ['listing_id', 'status', 'expires_on', 'received_at', 'lot_id'],
                              unique=False)
        batch_op.create_index('ix_wf_lots_shop', ['shop_id', 'received_at', 'lot_id'], unique=False)

    op.create_table('wf_reservations',
    sa.Column('reservation_id', sa.String(length=40), nullable=False),
    sa.Column('holder', sa.String(length=80), nullable=False),
    sa.Column('listing_id', sa.String(length=64), nullable=False),
    sa.Column('lot_id', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('created_at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('expires_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('updated_at', anxin.db.base.UTCDateTime(), nullable=True),
    sa.Column('reason', sa.String(length=64), nullable=True),
    sa.Column('rule_ids', sa.JSON(), nullable=False),
    sa.Column('rulebook_version', sa.String(length=40), nullable=True),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('reservation_id', name=op.f('pk_wf_reservations')),
    sa.UniqueConstraint('holder', 'listing_id', 'lot_id', name=op.f('uq_wf_reservations_holder_listing_id_lot_id'))
    )
    with op.batch_alter_table('wf_reservations', schema=None) as batch_op:
        batch_op.create_index('ix_wf_reservations_due', ['state', 'expires_at'], unique=False)
        batch_op.create_index('ix_wf_reservations_listing', ['listing_id', 'state'], unique=False)

    op.create_table('wf_unbacked_orders',
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('listing_id', sa.String(length=64), nullable=False),
    sa.Column('shop_id', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('available', sa.Integer(), nullable=False),
    sa.Column('at', anxin.db.base.UTCDateTime(), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.Column('rule_ids', sa.JSON(), nullable=False),
    sa.Column('rulebook_version', sa.String(length=40), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('order_id', 'listing_id', name=op.f('pk_wf_unbacked_orders'))
    )
    with op.batch_alter_table('wf_unbacked_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wf_unbacked_orders_shop_id'), ['shop_id'], unique=False)

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fulfilled_from', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('worry_free', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('prize_of', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_orders_prize_of'), ['prize_of'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_prize_of'))
        batch_op.drop_column('prize_of')
        batch_op.drop_column('worry_free')
        batch_op.drop_column('fulfilled_from')
    with op.batch_alter_table('wf_unbacked_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wf_unbacked_orders_shop_id'))
    op.drop_table('wf_unbacked_orders')
    with op.batch_alter_table('wf_reservations', schema=None) as batch_op:
        batch_op.drop_index('ix_wf_reservations_listing')
        batch_op.drop_index('ix_wf_reservations_due')
    op.drop_table('wf_reservations')
    with op.batch_alter_table('wf_lots', schema=None) as batch_op:
        batch_op.drop_index('ix_wf_lots_shop')
        batch_op.drop_index('ix_wf_lots_pick')
    op.drop_table('wf_lots')
