"""a unit account is bound to one unit's callsign

Revision ID: 0003_user_unit
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_user_unit"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("unit_callsign", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.drop_column("unit_callsign")
