"""engine/online: alembic's operations rendered through the online helpers (no database)."""

import sqlalchemy as sa
from alembic.operations import ops

from nivomigrate.engine.online import render_online


def _lines(body: str) -> list[str]:
    return [line.strip() for line in body.splitlines() if line.strip() and "###" not in line]


def test_index_changes_on_existing_tables_run_concurrently_after_the_transaction():
    body, imports = render_online(ops.UpgradeOps(ops=[
        ops.CreateIndexOp("Log_projectId_timestamp_idx", "Log", ["projectId", "timestamp"]),
        ops.DropIndexOp("Log_projectId_idx", table_name="Log"),
        ops.AddColumnOp("Log", sa.Column("traceId", sa.Text())),
    ]))

    assert _lines(body) == [
        "op.add_column('Log', sa.Column('traceId', sa.Text(), nullable=True))",
        "create_index_concurrently('Log_projectId_timestamp_idx', 'Log', "
        "['projectId', 'timestamp'])",
        "drop_index_concurrently('Log_projectId_idx')",
    ]
    assert "from nivomigrate.ops import create_index_concurrently" in imports


def test_a_table_the_revision_creates_keeps_plain_indexes_and_one_it_drops_loses_them():
    created = ops.CreateTableOp("Audit", [sa.Column("id", sa.Text(), primary_key=True)])
    body, _ = render_online(ops.UpgradeOps(ops=[
        created, ops.CreateIndexOp("Audit_id_idx", "Audit", ["id"]),
        ops.DropIndexOp("Old_x_idx", table_name="Old"), ops.DropTableOp("Old"),
    ]))

    assert "op.create_index('Audit_id_idx'" in body and "Old_x_idx" not in body
    assert "concurrently" not in body


def test_a_replaced_foreign_key_is_dropped_beside_its_not_valid_replacement():
    old = ops.CreateForeignKeyOp("Device_projectId_fkey", "Device", "Project", ["projectId"],
                                 ["id"], ondelete="SET NULL")
    drop = ops.DropConstraintOp("Device_projectId_fkey", "Device", type_="foreignkey",
                                _reverse=old)
    new = ops.CreateForeignKeyOp("Device_projectId_fkey", "Device", "Project", ["projectId"],
                                 ["id"], ondelete="CASCADE")
    body, _ = render_online(ops.UpgradeOps(ops=[ops.ModifyTableOps("Device", [drop, new])]))

    assert _lines(body) == [
        "add_foreign_key_online('Device_projectId_fkey', 'Device', ['projectId'], 'Project', "
        "['id'], on_delete='CASCADE', on_update='NO ACTION', replaces='Device_projectId_fkey')"]
