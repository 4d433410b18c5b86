"""product actions: drop the index on user_id that the unique key already covers

The unique key ``(user_id, product_id, action, occurred_at)`` leads with ``user_id``:
every look-up and erase by user uses it, and each imported action paid for a second
index entry.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 10:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("product_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_actions_user_id"))


def downgrade() -> None:
    with op.batch_alter_table("product_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_product_actions_user_id"), ["user_id"], unique=False)
