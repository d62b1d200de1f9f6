"""0011: job leases, so several bot processes share the polling without polling twice.

A job is polled by the process that holds its lease (`lease_owner`, the process's name) until
`lease_until`; a live process renews its leases every round, so a dead one's jobs are taken
over by the others once their leases lapse.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as jobs:
        jobs.add_column(sa.Column("lease_owner", sa.Text(), nullable=True))
        jobs.add_column(sa.Column("lease_until", sa.Double(), nullable=True))


def downgrade() -> None:
    raise NotImplementedError("the bot only migrates forward")
