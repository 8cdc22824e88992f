"""Trend facts written behind: each writing transaction stores its merged facts
as one `trend_pending` row, added to the rollup tables a moment later
(dashboard.store.rollups.apply_pending).

Revision ID: 0003_trend_pending
Revises: 0002_audit_departments
Create Date: 2026-12-06 14:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dashboard.migrations.columns import create_table, string

revision = '0003_trend_pending'
down_revision = '0002_audit_departments'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table('trend_pending',
                 sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
                 string('facts'),
                 sa.PrimaryKeyConstraint('id'))


def downgrade() -> None:
    op.drop_table('trend_pending')
