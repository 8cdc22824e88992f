"""The audit log of user actions (and the address on alert changes), the
district's departments with their scorecard rollup, and the session version
that lets logout end a session server-side.

Revision ID: 0002_audit_departments
Revises: 0001_baseline
Create Date: 2026-12-03 20:12:15.025239
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dashboard.migrations.columns import (create_rollup, create_table, drop_indexes, index,
                                          integer, place, string, timestamp)

revision = '0002_audit_departments'
down_revision = '0001_baseline'
branch_labels = None
depends_on = None

AUDIT_LOG_INDEXES = [index('ix_audit_log_at', 'at')]


def upgrade() -> None:
    create_table('audit_log',
                 *place(),
                 integer('id'), timestamp('at'), string('action', 32), string('actor', 200),
                 string('unit', 64, nullable=True), string('level', 16, nullable=True),
                 string('address', 200, nullable=True), string('subject', 200, nullable=True),
                 string('note', 1000, nullable=True),
                 sa.PrimaryKeyConstraint('id'),
                 indexes=AUDIT_LOG_INDEXES)
    create_table('department',
                 string('code', 64), string('name', 100), string('name_en', 100), integer('position'),
                 sa.PrimaryKeyConstraint('code'))
    create_rollup('trend_department',
                  string('department', 64), string('measure', 16), integer('bin'), integer('n'), integer('on_time'),
                  key=('department', 'measure', 'bin'))
    with op.batch_alter_table('alert_log', schema=None) as batch_op:
        batch_op.add_column(string('address', 200, nullable=True))
        batch_op.create_index('ix_alert_log_at', ['at'], unique=False)

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('session_version')

    with op.batch_alter_table('alert_log', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_log_at')
        batch_op.drop_column('address')

    op.drop_table('trend_department')
    op.drop_table('department')
    drop_indexes('audit_log', AUDIT_LOG_INDEXES)
    op.drop_table('audit_log')
