"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-21 20:40:04.822959
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alert_target',
    sa.Column('id', sa.String(length=21), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('config', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('command_result',
    sa.Column('command_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('command_id')
    )
    op.create_table('district',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('event',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('caused_by', sa.String(length=64), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('seq')
    )
    op.create_table('incident',
    sa.Column('id', sa.String(length=21), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('incident_created', sa.DateTime(), nullable=False),
    sa.Column('incident_ended', sa.DateTime(), nullable=True),
    sa.Column('incident_type', sa.String(length=10), nullable=True),
    sa.Column('incident_priority', sa.String(length=1), nullable=True),
    sa.Column('location', sa.JSON(), nullable=True),
    sa.Column('description', sa.String(), nullable=False),
    sa.Column('desk', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_state'), ['state'], unique=False)

    op.create_table('incident_type',
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('priority', sa.String(length=1), nullable=False),
    sa.Column('desk', sa.String(length=32), nullable=False),
    sa.Column('plan', sa.JSON(), nullable=False),
    sa.Column('keywords', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('call',
    sa.Column('id', sa.String(length=21), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('receiving_dispatcher', sa.String(length=64), nullable=True),
    sa.Column('call_started', sa.DateTime(), nullable=False),
    sa.Column('call_ended', sa.DateTime(), nullable=True),
    sa.Column('caller_name', sa.String(length=100), nullable=True),
    sa.Column('caller_phone', sa.String(length=16), nullable=True),
    sa.Column('location', sa.JSON(), nullable=True),
    sa.Column('description', sa.String(), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.Column('outcome_rationale', sa.String(), nullable=True),
    sa.Column('incident_id', sa.String(length=21), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_incident_id'), ['incident_id'], unique=False)

    op.create_table('incident_log_entry',
    sa.Column('id', sa.String(length=21), nullable=False),
    sa.Column('incident_id', sa.String(length=21), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('log_timestamp', sa.DateTime(), nullable=False),
    sa.Column('dispatcher', sa.String(length=64), nullable=True),
    sa.Column('entry_type', sa.String(length=16), nullable=False),
    sa.Column('description', sa.String(), nullable=True),
    sa.Column('change_data', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('incident_log_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_log_entry_incident_id'), ['incident_id'], unique=False)

    op.create_table('resource',
    sa.Column('id', sa.String(length=21), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('resource_type', sa.String(length=16), nullable=False),
    sa.Column('district', sa.String(length=16), nullable=False),
    sa.Column('location', sa.JSON(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('in_use', sa.Integer(), nullable=False),
    sa.Column('out_of_service', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['district'], ['district.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('resource_need',
    sa.Column('id', sa.String(length=21), nullable=False),
    sa.Column('incident_id', sa.String(length=21), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('resource_type', sa.String(length=16), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('resource_need', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resource_need_incident_id'), ['incident_id'], unique=False)

    op.create_table('station',
    sa.Column('id', sa.String(length=21), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('district', sa.String(length=16), nullable=False),
    sa.Column('location', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['district'], ['district.code'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('resource_allocation',
    sa.Column('id', sa.String(length=21), nullable=False),
    sa.Column('need_id', sa.String(length=21), nullable=False),
    sa.Column('resource_id', sa.String(length=21), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('allocated_at', sa.DateTime(), nullable=False),
    sa.Column('released_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['need_id'], ['resource_need.id'], ),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('resource_allocation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resource_allocation_need_id'), ['need_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_resource_allocation_resource_id'), ['resource_id'], unique=False)

    op.create_table('unit',
    sa.Column('id', sa.String(length=21), nullable=False),
    sa.Column('callsign', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('station_id', sa.String(length=21), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('callsign')
    )
    op.create_table('alert_target_unit',
    sa.Column('target_id', sa.String(length=21), nullable=False),
    sa.Column('unit_id', sa.String(length=21), nullable=False),
    sa.ForeignKeyConstraint(['target_id'], ['alert_target.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('target_id', 'unit_id')
    )
    op.create_table('incident_unit',
    sa.Column('id', sa.String(length=21), nullable=False),
    sa.Column('incident_id', sa.String(length=21), nullable=False),
    sa.Column('unit_id', sa.String(length=21), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('callsign', sa.String(length=16), nullable=False),
    sa.Column('unit_staffing', sa.JSON(), nullable=True),
    sa.Column('unit_assigned_at', sa.DateTime(), nullable=False),
    sa.Column('unit_unassigned_at', sa.DateTime(), nullable=True),
    sa.Column('unit_dispatched', sa.DateTime(), nullable=True),
    sa.Column('unit_en_route', sa.DateTime(), nullable=True),
    sa.Column('unit_on_scene', sa.DateTime(), nullable=True),
    sa.Column('unit_available', sa.DateTime(), nullable=True),
    sa.Column('unit_back_at_station', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('incident_unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_unit_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_unit_unit_id'), ['unit_id'], unique=False)

    op.create_table('unit_status',
    sa.Column('unit_id', sa.String(length=21), nullable=False),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('state_changed_at', sa.DateTime(), nullable=False),
    sa.Column('staffing', sa.JSON(), nullable=True),
    sa.Column('staffing_changed_at', sa.DateTime(), nullable=True),
    sa.Column('coordinates', sa.JSON(), nullable=True),
    sa.Column('coordinates_changed_at', sa.DateTime(), nullable=True),
    sa.Column('assigned_to_incident_id', sa.String(length=21), nullable=True),
    sa.Column('assigned_to_incident_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['assigned_to_incident_id'], ['incident.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('unit_id')
    )
    op.create_table('unit_status_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.String(length=21), nullable=False),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=True),
    sa.Column('status', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('unit_status_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_status_history_unit_id'), ['unit_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('unit_status_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_status_history_unit_id'))

    op.drop_table('unit_status_history')
    op.drop_table('unit_status')
    with op.batch_alter_table('incident_unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_unit_unit_id'))
        batch_op.drop_index(batch_op.f('ix_incident_unit_incident_id'))

    op.drop_table('incident_unit')
    op.drop_table('alert_target_unit')
    op.drop_table('unit')
    with op.batch_alter_table('resource_allocation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resource_allocation_resource_id'))
        batch_op.drop_index(batch_op.f('ix_resource_allocation_need_id'))

    op.drop_table('resource_allocation')
    op.drop_table('station')
    with op.batch_alter_table('resource_need', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resource_need_incident_id'))

    op.drop_table('resource_need')
    op.drop_table('resource')
    with op.batch_alter_table('incident_log_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_log_entry_incident_id'))

    op.drop_table('incident_log_entry')
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_incident_id'))

    op.drop_table('call')
    op.drop_table('incident_type')
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_state'))

    op.drop_table('incident')
    op.drop_table('event')
    op.drop_table('district')
    op.drop_table('command_result')
    op.drop_table('alert_target')
