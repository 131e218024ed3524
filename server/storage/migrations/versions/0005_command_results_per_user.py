"""command ids are unique per user (protocol 2)

The stored answer of a command is keyed by (user, command_id): one user's id never reaches,
answers or blocks another user's command. Existing rows keep their user; rows without one
(none are written by clients) get the empty key.

Revision ID: 0005
Revises: 0004_log_names_and_pins
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004_log_names_and_pins"
branch_labels = None
depends_on = None

COLUMNS = "user_key, command_id, name, user_id, at, ok, result"


def upgrade() -> None:
    op.rename_table("command_result", "command_result_v1")
    if op.get_bind().dialect.name == "postgresql":
        # A renamed table keeps its key's name there; move it too, or the new table's key would
        # be named command_result_pkey1 and later migrations could not name it as the models do.
        op.execute("ALTER INDEX command_result_pkey RENAME TO command_result_v1_pkey")
    op.create_table(
        "command_result",
        sa.Column("user_key", sa.String(length=64), nullable=False),
        sa.Column("command_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("user_key", "command_id"),
    )
    op.execute(
        f"INSERT INTO command_result ({COLUMNS}) "
        "SELECT COALESCE(user_id, ''), command_id, name, user_id, at, ok, result FROM command_result_v1"
    )
    op.drop_table("command_result_v1")


def downgrade() -> None:
    raise NotImplementedError("command ids per user cannot be folded back into one namespace")
