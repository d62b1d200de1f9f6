"""0012: the per-channel edit budget shared by every bot process (Discord's limit is per bot).

One row per message edit of the last few seconds (bot/db/edits.py); rows older than the
window are deleted as new ones come.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_edits",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_edits")),
    )
    op.create_index("channel_edits_channel", "channel_edits", ["channel_id", "at"])


def downgrade() -> None:
    raise NotImplementedError("the bot only migrates forward")
