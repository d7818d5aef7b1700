"""Autogenerate's index and foreign-key operations rendered with nivomigrate.ops' helpers,
except on a table the same revision creates."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import render_python_code
from alembic.operations import ops

from nivomigrate import online


def _script(upgrade: list, downgrade: list) -> ops.MigrationScript:
    return ops.MigrationScript("0003", ops.UpgradeOps(upgrade), ops.DowngradeOps(downgrade))


def test_index_and_foreign_key_operations_become_online_helpers():
    script = _script(
        [ops.CreateIndexOp("User_locale_idx", "User", ["locale"]),
         ops.CreateForeignKeyOp("Project_userId_fkey", "Project", "User", ["userId"], ["id"],
                                ondelete="CASCADE", onupdate="CASCADE")],
        [ops.DropIndexOp("User_locale_idx", table_name="User")])
    online.rewrite([script])
    upgrade = render_python_code(script.upgrade_ops)
    assert "create_index_concurrently('User_locale_idx', 'User', ['\"locale\"'])" in upgrade
    assert ("add_foreign_key_online('Project_userId_fkey', 'Project', ['userId'], 'User', "
            "['id'], on_delete='CASCADE', on_update='CASCADE')") in upgrade
    assert "op.create_index" not in upgrade
    assert "drop_index_concurrently('User_locale_idx')" in render_python_code(
        script.downgrade_ops)


def test_an_index_on_a_table_the_revision_creates_stays_plain():
    table = ops.CreateTableOp("AuditEvent", [sa.Column("id", sa.Text(), primary_key=True)])
    script = _script([table, ops.CreateIndexOp("AuditEvent_id_idx", "AuditEvent", ["id"])], [])
    online.rewrite([script])
    upgrade = render_python_code(script.upgrade_ops)
    assert "op.create_index('AuditEvent_id_idx'" in upgrade
    assert "concurrently" not in upgrade
