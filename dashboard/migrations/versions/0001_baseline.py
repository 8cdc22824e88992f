"""Baseline: the schema of the last release before migrations (every table
that release's create_all made). Databases created by it are stamped with this
revision, not re-created.

Revision ID: 0001_baseline
Revises: 
Create Date: 2026-12-03 19:26:56.296787
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dashboard.migrations.columns import (big_integer, boolean, category_priority, create_rollup, create_table,
                                          date, drop_indexes, index, integer, json, labels, place,
                                          string, timestamp)

revision = '0001_baseline'
down_revision = None
branch_labels = None
depends_on = None

# Each table's indexes, created in this order right after the table (and dropped the other way round).
INDEXES = {
    'alert': [index('ix_alert_active', 'active'),
              index('ix_alert_active_community', 'active', 'community'),
              index('ix_alert_active_street', 'active', 'street'),
              index('ix_alert_next_check_at', 'next_check_at')],
    'event': [index('ix_event_kind_ref', 'kind', 'ref'),
              index('ix_event_kind_type_occurred', 'kind', 'type', 'occurred_at'),
              index('ix_event_occurred', 'occurred_at'),
              index('ix_event_surge', 'unit', 'category', 'occurred_at')],
    'item': [index('ix_item_is_open', 'is_open'),
             index('ix_item_kind_open', 'kind', 'is_open'),
             index('ix_item_next_due', 'next_due'),
             index('ix_item_open_community', 'is_open', 'community'),
             index('ix_item_open_street', 'is_open', 'street')],
    'message': [index('ix_message_community_seq', 'community', 'seq'),
                index('ix_message_grid_seq', 'grid', 'seq'),
                index('ix_message_street_seq', 'street', 'seq')],
    'trend_hour': [index('ix_trend_hour_cube', 'unit', 'period', 'category', 'priority', 'bucket', 'weekday', 'hour',
                         'reported')],
    'trend_incident': [index('ix_trend_incident_cube', 'unit', 'period', 'category', 'priority', 'bucket',
                             'reported', 'reopened')],
    'trend_patrol': [*(index(f'ix_trend_patrol_{level}', level, 'day', 'level', 'reached', 'late')
                       for level in ('community', 'district', 'grid', 'street')),
                     index('uq_trend_patrol_key', 'unit', 'day', unique=True)],
    # per scope level, one index for the series over time and one for the groups (place first)
    'trend_problem': [*(index(f'ix_trend_problem_{level}{groups}', level, 'period', 'priority', *order, 'n')
                        for level in ('community', 'district', 'street')
                        for groups, order in (('', ('bucket', 'category', 'aspect', 'place')),
                                              ('_groups', ('place', 'category', 'aspect', 'bucket')))),
                      index('uq_trend_problem_key', 'place', 'period', 'bucket', 'category', 'priority', 'aspect',
                            unique=True)],
    'alert_log': [index('ix_alert_log_alert_id', 'alert_id')],
    'app_user': [index('ix_app_user_name', 'name', unique=True),
                 index('ix_app_user_unit', 'unit')],
    'screen_token': [index('ix_screen_token_token_hash', 'token_hash', unique=True),
                     index('ix_screen_token_unit', 'unit')],
}


def upgrade() -> None:
    create_table('alert',
                 *place(),
                 integer('id'), string('subject', 200), string('stage', 160), integer('cycle'),
                 string('kind', 16), string('ref', 128), string('unit', 64),
                 string('level', 16), string('holder', 64), string('state', 16), boolean('active'),
                 string('reason', 300),
                 *labels(),
                 timestamp('due_at', nullable=True), timestamp('raised_at'), timestamp('level_since'),
                 timestamp('acked_at', nullable=True), string('acked_by', 64, nullable=True),
                 string('ack_note', 1000, nullable=True),
                 timestamp('resolved_at', nullable=True), string('resolved_by', 64, nullable=True),
                 string('resolve_note', 1000, nullable=True),
                 timestamp('next_check_at', nullable=True),
                 integer('escalate_after_s'), integer('ack_timeout_s'), integer('version'), big_integer('last_seq'),
                 sa.PrimaryKeyConstraint('id'),
                 sa.UniqueConstraint('subject', 'stage', 'cycle', name='uq_alert_subject_stage_cycle'),
                 indexes=INDEXES['alert'])
    create_table('counter',
                 string('name', 32), big_integer('value'),
                 sa.PrimaryKeyConstraint('name'))
    create_table('event',
                 *place(),
                 big_integer('seq'), string('source', 64), string('source_id', 128),
                 string('kind', 16), string('type', 32), string('ref', 128), string('unit', 64),
                 timestamp('occurred_at'), timestamp('received_at'),
                 *labels(),
                 string('description', nullable=True), string('actor', 200, nullable=True),
                 sa.Column('lat', sa.Float(), nullable=True), sa.Column('lon', sa.Float(), nullable=True),
                 json('attributes'),
                 sa.PrimaryKeyConstraint('seq'),
                 sa.UniqueConstraint('source', 'source_id', name='uq_event_source_id'),
                 indexes=INDEXES['event'])
    create_table('instance_mode',
                 integer('id'), string('mode', 8), timestamp('marked_at'),
                 sa.PrimaryKeyConstraint('id'))
    create_table('item',
                 *place(),
                 integer('id'), string('kind', 16), string('ref', 128), string('unit', 64),
                 string('status', 32), boolean('is_open'),
                 *labels(),
                 timestamp('opened_at'), timestamp('updated_at'), big_integer('last_seq'),
                 timestamp('next_due', nullable=True), json('state'),
                 sa.PrimaryKeyConstraint('id'),
                 sa.UniqueConstraint('kind', 'ref', name='uq_item_kind_ref'),
                 indexes=INDEXES['item'])
    create_table('message',
                 *place(), big_integer('seq'), string('name', 16), string('unit', 64), timestamp('created_at'),
                 json('payload'), sa.PrimaryKeyConstraint('seq'),
                 indexes=INDEXES['message'])
    create_rollup('trend_alert',
                  *category_priority(), string('action', 16), string('level', 16), integer('n'),
                  key=('category', 'priority', 'action', 'level'))
    create_rollup('trend_hour',
                  integer('weekday'), integer('hour'), *category_priority(), integer('reported'), integer('reopened'),
                  key=('weekday', 'hour', 'category', 'priority'),
                  indexes=INDEXES['trend_hour'])
    create_rollup('trend_incident',
                  *category_priority(), integer('reported'), integer('reopened'),
                  key=('category', 'priority'),
                  indexes=INDEXES['trend_incident'])
    create_rollup('trend_latency',
                  *category_priority(), string('stage', 16), integer('bin'), integer('n'),
                  key=('category', 'priority', 'stage', 'bin'))
    create_rollup('trend_mediation',
                  string('channel', 32), string('measure', 48), integer('n'),
                  key=('channel', 'measure'))
    create_table('trend_patrol',
                 integer('id'), string('unit', 64), date('day'), string('level', 16), *place(),
                 integer('reached'), integer('late'), sa.PrimaryKeyConstraint('id'),
                 indexes=INDEXES['trend_patrol'])
    create_table('trend_problem',
                 integer('id'), string('place', 64), string('period', 1), date('bucket'),
                 *category_priority(), string('aspect', 64), *place('district', 'street', 'community'), integer('n'),
                 sa.PrimaryKeyConstraint('id'),
                 indexes=INDEXES['trend_problem'])
    create_rollup('trend_stage',
                  *category_priority(), string('stage', 16), integer('budget_s'), integer('n'), integer('on_time'),
                  key=('category', 'priority', 'stage', 'budget_s'))
    create_table('unit',
                 string('code', 64), string('name', 100), string('name_en', 100), string('level', 16),
                 string('parent', 64, nullable=True), boolean('synthetic'), integer('position'),
                 sa.ForeignKeyConstraint(['parent'], ['unit.code'], ),
                 sa.PrimaryKeyConstraint('code'))
    create_table('alert_log',
                 integer('id'), integer('alert_id'), big_integer('seq'), timestamp('at'), string('action', 16),
                 string('from_level', 16, nullable=True), string('to_level', 16), string('actor', 64),
                 string('note', 1000, nullable=True),
                 sa.ForeignKeyConstraint(['alert_id'], ['alert.id'], ),
                 sa.PrimaryKeyConstraint('id'),
                 indexes=INDEXES['alert_log'])
    create_table('app_user',
                 integer('id'), string('name', 64), string('password_hash', 255), string('role', 16),
                 string('unit', 64), boolean('active'), timestamp('created_at'),
                 sa.CheckConstraint("role IN ('duty', 'leader', 'staff', 'admin')", name='ck_app_user_role'),
                 sa.ForeignKeyConstraint(['unit'], ['unit.code'], ),
                 sa.PrimaryKeyConstraint('id'),
                 indexes=INDEXES['app_user'])
    create_table('screen_token',
                 integer('id'), string('token_hash', 64), string('unit', 64), string('label', 200),
                 timestamp('created_at'), timestamp('revoked_at', nullable=True),
                 timestamp('last_used_at', nullable=True),
                 sa.ForeignKeyConstraint(['unit'], ['unit.code'], ),
                 sa.PrimaryKeyConstraint('id'),
                 indexes=INDEXES['screen_token'])


def downgrade() -> None:
    for table in ('screen_token', 'app_user', 'alert_log', 'unit', 'trend_stage', 'trend_problem', 'trend_patrol',
                  'trend_mediation', 'trend_latency', 'trend_incident', 'trend_hour', 'trend_alert', 'message',
                  'item', 'instance_mode', 'event', 'counter', 'alert'):  # the reverse of upgrade's order
        drop_indexes(table, INDEXES.get(table, ()))
        op.drop_table(table)
