"""Baseline: the schema of the last release before migrations (every table
that release's create_all made). Databases created by it are stamped with this
revision, not re-created.

Revision ID: 0001_baseline
Revises: 
Create Date: 2026-12-03 19:26:56.296787
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import dashboard.store.models

revision = '0001_baseline'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alert',
    sa.Column('district', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('street', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('community', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('grid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('ref', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('level', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('holder', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=True),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('due_at', dashboard.store.models.UTCDateTime(), nullable=True),
    sa.Column('raised_at', dashboard.store.models.UTCDateTime(), nullable=False),
    sa.Column('level_since', dashboard.store.models.UTCDateTime(), nullable=False),
    sa.Column('acked_at', dashboard.store.models.UTCDateTime(), nullable=True),
    sa.Column('acked_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('ack_note', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('resolved_at', dashboard.store.models.UTCDateTime(), nullable=True),
    sa.Column('resolved_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('resolve_note', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('next_check_at', dashboard.store.models.UTCDateTime(), nullable=True),
    sa.Column('escalate_after_s', sa.Integer(), nullable=False),
    sa.Column('ack_timeout_s', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('subject', 'stage', 'cycle', name='uq_alert_subject_stage_cycle')
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_active'), ['active'], unique=False)
        batch_op.create_index('ix_alert_active_community', ['active', 'community'], unique=False)
        batch_op.create_index('ix_alert_active_street', ['active', 'street'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_next_check_at'), ['next_check_at'], unique=False)

    op.create_table('counter',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('event',
    sa.Column('district', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('street', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('community', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('grid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('source_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('ref', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('occurred_at', dashboard.store.models.UTCDateTime(), nullable=False),
    sa.Column('received_at', dashboard.store.models.UTCDateTime(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=True),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('source', 'source_id', name='uq_event_source_id')
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index('ix_event_kind_ref', ['kind', 'ref'], unique=False)
        batch_op.create_index('ix_event_kind_type_occurred', ['kind', 'type', 'occurred_at'], unique=False)
        batch_op.create_index('ix_event_occurred', ['occurred_at'], unique=False)
        batch_op.create_index('ix_event_surge', ['unit', 'category', 'occurred_at'], unique=False)

    op.create_table('instance_mode',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('marked_at', dashboard.store.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('item',
    sa.Column('district', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('street', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('community', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('grid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('ref', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('is_open', sa.Boolean(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=True),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('opened_at', dashboard.store.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', dashboard.store.models.UTCDateTime(), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('next_due', dashboard.store.models.UTCDateTime(), nullable=True),
    sa.Column('state', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'ref', name='uq_item_kind_ref')
    )
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_is_open'), ['is_open'], unique=False)
        batch_op.create_index('ix_item_kind_open', ['kind', 'is_open'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_next_due'), ['next_due'], unique=False)
        batch_op.create_index('ix_item_open_community', ['is_open', 'community'], unique=False)
        batch_op.create_index('ix_item_open_street', ['is_open', 'street'], unique=False)

    op.create_table('message',
    sa.Column('district', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('street', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('community', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('grid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', dashboard.store.models.UTCDateTime(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('seq')
    )
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index('ix_message_community_seq', ['community', 'seq'], unique=False)
        batch_op.create_index('ix_message_grid_seq', ['grid', 'seq'], unique=False)
        batch_op.create_index('ix_message_street_seq', ['street', 'seq'], unique=False)

    op.create_table('trend_alert',
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
    sa.Column('bucket', sa.Date(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('level', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('unit', 'period', 'bucket', 'category', 'priority', 'action', 'level'),
    sqlite_with_rowid=False
    )
    op.create_table('trend_hour',
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
    sa.Column('bucket', sa.Date(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('hour', sa.Integer(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('reported', sa.Integer(), nullable=False),
    sa.Column('reopened', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('unit', 'period', 'bucket', 'weekday', 'hour', 'category', 'priority'),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('trend_hour', schema=None) as batch_op:
        batch_op.create_index('ix_trend_hour_cube', ['unit', 'period', 'category', 'priority', 'bucket', 'weekday', 'hour', 'reported'], unique=False)

    op.create_table('trend_incident',
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
    sa.Column('bucket', sa.Date(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('reported', sa.Integer(), nullable=False),
    sa.Column('reopened', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('unit', 'period', 'bucket', 'category', 'priority'),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('trend_incident', schema=None) as batch_op:
        batch_op.create_index('ix_trend_incident_cube', ['unit', 'period', 'category', 'priority', 'bucket', 'reported', 'reopened'], unique=False)

    op.create_table('trend_latency',
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
    sa.Column('bucket', sa.Date(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('bin', sa.Integer(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('unit', 'period', 'bucket', 'category', 'priority', 'stage', 'bin'),
    sqlite_with_rowid=False
    )
    op.create_table('trend_mediation',
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
    sa.Column('bucket', sa.Date(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('measure', sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('unit', 'period', 'bucket', 'channel', 'measure'),
    sqlite_with_rowid=False
    )
    op.create_table('trend_patrol',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('level', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('district', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('street', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('community', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('grid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('reached', sa.Integer(), nullable=False),
    sa.Column('late', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('trend_patrol', schema=None) as batch_op:
        batch_op.create_index('ix_trend_patrol_community', ['community', 'day', 'level', 'reached', 'late'], unique=False)
        batch_op.create_index('ix_trend_patrol_district', ['district', 'day', 'level', 'reached', 'late'], unique=False)
        batch_op.create_index('ix_trend_patrol_grid', ['grid', 'day', 'level', 'reached', 'late'], unique=False)
        batch_op.create_index('ix_trend_patrol_street', ['street', 'day', 'level', 'reached', 'late'], unique=False)
        batch_op.create_index('uq_trend_patrol_key', ['unit', 'day'], unique=True)

    op.create_table('trend_problem',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('place', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
    sa.Column('bucket', sa.Date(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('aspect', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('district', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('street', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('community', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('trend_problem', schema=None) as batch_op:
        batch_op.create_index('ix_trend_problem_community', ['community', 'period', 'priority', 'bucket', 'category', 'aspect', 'place', 'n'], unique=False)
        batch_op.create_index('ix_trend_problem_community_groups', ['community', 'period', 'priority', 'place', 'category', 'aspect', 'bucket', 'n'], unique=False)
        batch_op.create_index('ix_trend_problem_district', ['district', 'period', 'priority', 'bucket', 'category', 'aspect', 'place', 'n'], unique=False)
        batch_op.create_index('ix_trend_problem_district_groups', ['district', 'period', 'priority', 'place', 'category', 'aspect', 'bucket', 'n'], unique=False)
        batch_op.create_index('ix_trend_problem_street', ['street', 'period', 'priority', 'bucket', 'category', 'aspect', 'place', 'n'], unique=False)
        batch_op.create_index('ix_trend_problem_street_groups', ['street', 'period', 'priority', 'place', 'category', 'aspect', 'bucket', 'n'], unique=False)
        batch_op.create_index('uq_trend_problem_key', ['place', 'period', 'bucket', 'category', 'priority', 'aspect'], unique=True)

    op.create_table('trend_stage',
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
    sa.Column('bucket', sa.Date(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('budget_s', sa.Integer(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('on_time', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('unit', 'period', 'bucket', 'category', 'priority', 'stage', 'budget_s'),
    sqlite_with_rowid=False
    )
    op.create_table('unit',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('name_en', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('level', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('parent', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('synthetic', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['parent'], ['unit.code'], ),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('alert_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('at', dashboard.store.models.UTCDateTime(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('from_level', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('to_level', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.ForeignKeyConstraint(['alert_id'], ['alert.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('alert_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_log_alert_id'), ['alert_id'], unique=False)

    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', dashboard.store.models.UTCDateTime(), nullable=False),
    sa.CheckConstraint("role IN ('duty', 'leader', 'staff', 'admin')", name='ck_app_user_role'),
    sa.ForeignKeyConstraint(['unit'], ['unit.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_user_name'), ['name'], unique=True)
        batch_op.create_index(batch_op.f('ix_app_user_unit'), ['unit'], unique=False)

    op.create_table('screen_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', dashboard.store.models.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', dashboard.store.models.UTCDateTime(), nullable=True),
    sa.Column('last_used_at', dashboard.store.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['unit'], ['unit.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('screen_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_screen_token_token_hash'), ['token_hash'], unique=True)
        batch_op.create_index(batch_op.f('ix_screen_token_unit'), ['unit'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('screen_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_screen_token_unit'))
        batch_op.drop_index(batch_op.f('ix_screen_token_token_hash'))

    op.drop_table('screen_token')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_user_unit'))
        batch_op.drop_index(batch_op.f('ix_app_user_name'))

    op.drop_table('app_user')
    with op.batch_alter_table('alert_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_log_alert_id'))

    op.drop_table('alert_log')
    op.drop_table('unit')
    op.drop_table('trend_stage')
    with op.batch_alter_table('trend_problem', schema=None) as batch_op:
        batch_op.drop_index('uq_trend_problem_key')
        batch_op.drop_index('ix_trend_problem_street_groups')
        batch_op.drop_index('ix_trend_problem_street')
        batch_op.drop_index('ix_trend_problem_district_groups')
        batch_op.drop_index('ix_trend_problem_district')
        batch_op.drop_index('ix_trend_problem_community_groups')
        batch_op.drop_index('ix_trend_problem_community')

    op.drop_table('trend_problem')
    with op.batch_alter_table('trend_patrol', schema=None) as batch_op:
        batch_op.drop_index('uq_trend_patrol_key')
        batch_op.drop_index('ix_trend_patrol_street')
        batch_op.drop_index('ix_trend_patrol_grid')
        batch_op.drop_index('ix_trend_patrol_district')
        batch_op.drop_index('ix_trend_patrol_community')

    op.drop_table('trend_patrol')
    op.drop_table('trend_mediation')
    op.drop_table('trend_latency')
    with op.batch_alter_table('trend_incident', schema=None) as batch_op:
        batch_op.drop_index('ix_trend_incident_cube')

    op.drop_table('trend_incident')
    with op.batch_alter_table('trend_hour', schema=None) as batch_op:
        batch_op.drop_index('ix_trend_hour_cube')

    op.drop_table('trend_hour')
    op.drop_table('trend_alert')
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('ix_message_street_seq')
        batch_op.drop_index('ix_message_grid_seq')
        batch_op.drop_index('ix_message_community_seq')

    op.drop_table('message')
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_index('ix_item_open_street')
        batch_op.drop_index('ix_item_open_community')
        batch_op.drop_index(batch_op.f('ix_item_next_due'))
        batch_op.drop_index('ix_item_kind_open')
        batch_op.drop_index(batch_op.f('ix_item_is_open'))

    op.drop_table('item')
    op.drop_table('instance_mode')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index('ix_event_surge')
        batch_op.drop_index('ix_event_occurred')
        batch_op.drop_index('ix_event_kind_type_occurred')
        batch_op.drop_index('ix_event_kind_ref')

    op.drop_table('event')
    op.drop_table('counter')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_next_check_at'))
        batch_op.drop_index('ix_alert_active_street')
        batch_op.drop_index('ix_alert_active_community')
        batch_op.drop_index(batch_op.f('ix_alert_active'))

    op.drop_table('alert')
