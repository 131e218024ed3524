"""log entries keep their maker's name; users get a lock-screen PIN

Revision ID: 0004_log_names_and_pins
Revises: 0003_user_unit
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_log_names_and_pins"
down_revision = "0003_user_unit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Entries written before this revision keep no name: they show the user id, as they did.
    with op.batch_alter_table("incident_log_entry") as batch:
        batch.add_column(sa.Column("dispatcher_name", sa.String(length=100), nullable=True))
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("pin_hash", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("pin_failures", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("pin_locked_until", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.drop_column("pin_locked_until")
        batch.drop_column("pin_failures")
        batch.drop_column("pin_hash")
    with op.batch_alter_table("incident_log_entry") as batch:
        batch.drop_column("dispatcher_name")
