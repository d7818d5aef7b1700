"""The privilege map derived from services.yaml, and the SQL that changes a database to it."""

from nivomigrate.policies.services import ServiceMap, TableUse
from nivomigrate.roles import (
    Privilege,
    TableShape,
    change_statements,
    create_role_sql,
    difference,
    privilege_map,
    service_roles,
    unmapped_tables,
    write_shapes,
)

TABLES = {
    "Log": TableShape("Log", ("id", "projectId", "message", "createdAt")),
    "User": TableShape("User", ("id", "email", "password")),
    "Counter": TableShape("Counter", ("id", "value"), sequences=("Counter_id_seq",)),
}
SERVICES = ServiceMap(
    uses=(
        TableUse("ingest", "Log", ("*",), ("id", "projectId", "message")),
        TableUse("ingest", "User", ("id",), ()),
        TableUse("studio", "User", ("*",), ("*",)),
        TableUse("studio", "Log", ("projectId", "createdAt"), ()),
        TableUse("studio", "Counter", (), ("*",)),
    ),
    owners={"Log": "ingest", "User": "studio", "Counter": "studio"},
    roles={"ingest": "app_ingest", "studio_read": "app_studio_read"},
)


def _of(role: str) -> set[tuple]:
    return {(p.kind, p.name, p.privilege, p.column)
            for p in privilege_map(SERVICES, TABLES) if p.role == role}


def test_roles_default_to_nivo_prefix_and_read_role_follows_its_service():
    roles = service_roles(SERVICES)
    assert [(r.service, r.role, r.read_only) for r in roles] == [
        ("ingest", "app_ingest", False), ("studio", "nivo_studio", False),
        ("studio", "app_studio_read", True)]


def test_listed_writes_are_column_grants_and_need_select_for_returning():
    ingest = _of("app_ingest")
    assert ("table", "Log", "INSERT", "message") in ingest
    assert ("table", "Log", "UPDATE", "projectId") in ingest
    assert ("table", "Log", "INSERT", None) not in ingest
    assert ("table", "Log", "INSERT", "createdAt") not in ingest
    assert ("table", "Log", "DELETE", None) not in ingest
    assert ("table", "Log", "SELECT", None) in ingest


def test_listed_reads_are_column_grants_only():
    ingest = _of("app_ingest")
    assert ("table", "User", "SELECT", "id") in ingest
    assert not {p for p in ingest if p[1] == "User" and p[3] != "id"}


def test_star_writes_grant_delete_and_sequence_usage():
    studio = _of("nivo_studio")
    assert {("table", "Counter", "DELETE", None), ("sequence", "Counter_id_seq", "USAGE", None),
            ("table", "Counter", "SELECT", None)} <= studio
    assert ("schema", "public", "USAGE", None) in studio


def test_read_role_gets_only_its_services_selects():
    read = _of("app_studio_read")
    assert {p[2] for p in read} == {"SELECT", "USAGE"}
    assert ("table", "Log", "SELECT", "projectId") in read
    assert ("table", "Counter", "SELECT", None) not in read  # studio only writes it


def test_a_column_missing_from_the_table_gets_no_grant():
    services = ServiceMap((TableUse("ingest", "Log", ("gone",), ()),))
    assert not [p for p in privilege_map(services, TABLES) if p.kind == "table"]


def test_difference_revokes_before_it_grants_the_narrower_column():
    actual = {Privilege("r", "table", "User", "SELECT")}
    desired = {Privilege("r", "table", "User", "SELECT", "id")}
    statements = change_statements(difference(desired, actual))
    assert statements == ['REVOKE SELECT ON TABLE "public"."User" FROM "r"',
                          'GRANT SELECT ("id") ON TABLE "public"."User" TO "r"']


def test_equal_privileges_make_no_change():
    desired = privilege_map(SERVICES, TABLES)
    assert difference(desired, set(desired)).is_empty


def test_create_role_quotes_the_name_and_grants_membership_to_the_migrator():
    text = create_role_sql('we"ird')
    assert 'CREATE ROLE "we""ird" NOLOGIN' in text
    assert "rolname = 'we\"ird'" in text
    assert 'GRANT "we""ird" TO CURRENT_USER' in text
    assert "EXECUTE" not in text  # no dynamic SQL (the dynamic-sql check)


def test_unmapped_tables_are_those_neither_owned_nor_used():
    assert unmapped_tables(SERVICES, ["Log", "Audit", "User"]) == ["Audit"]


def test_listed_reads_include_the_primary_key_prisma_always_selects():
    tables = {"Flags": TableShape("Flags", ("id", "projectId", "on"), key=("id",))}
    services = ServiceMap((TableUse("ingest", "Flags", ("on",), ()),))
    columns = {p.column for p in privilege_map(services, tables) if p.kind == "table"}
    assert columns == {"on", "id"}


KEYED = {"Log": TableShape("Log", ("id", "projectId", "message"), ("Log_id_seq",), key=("id",))}


def _granted(*uses: TableUse, role: str = "nivo_control") -> set[tuple]:
    services = ServiceMap(uses, roles={"control_read": "nivo_control_read"})
    return {(p.privilege, p.column) for p in privilege_map(services, KEYED)
            if p.role == role and p.kind != "schema"}


def test_delete_only_grants_delete_and_select_of_the_key_but_no_insert_or_update():
    granted = _granted(TableUse("control", "Log", ("projectId",), (), ("delete",)))
    assert granted == {("DELETE", None), ("SELECT", "projectId"), ("SELECT", "id")}


def test_insert_only_grants_insert_columns_and_sequence_but_no_update_or_delete():
    granted = _granted(TableUse("control", "Log", (), ("id", "message"), ("insert",)))
    assert granted == {("INSERT", "id"), ("INSERT", "message"), ("SELECT", None),
                       ("USAGE", None)}


def test_update_only_grants_update_columns_without_sequence():
    granted = _granted(TableUse("control", "Log", (), ("message",), ("update",)))
    assert granted == {("UPDATE", "message"), ("SELECT", None)}


def test_the_read_role_of_a_deleting_service_cannot_delete():
    use = TableUse("control", "Log", ("*",), (), ("delete",))
    assert _granted(use, role="nivo_control_read") == {("SELECT", None)}


def _shape_names(use: TableUse) -> list[str]:
    return [shape.name for shape in write_shapes(ServiceMap((use,)), KEYED)]


def test_write_shapes_are_those_of_the_listed_operations():
    assert _shape_names(TableUse("c", "Log", ("*",), (), ("delete",))) == ["read", "delete"]
    assert _shape_names(TableUse("c", "Log", (), ("id",), ("insert",))) == ["insert"]
    assert _shape_names(TableUse("c", "Log", (), ("id",), ("insert", "update"))) == [
        "insert", "upsert", "update"]
    assert _shape_names(TableUse("c", "Log", (), ("*",))) == [
        "insert", "upsert", "update", "delete"]


def test_delete_shape_is_by_key():
    [shape] = write_shapes(ServiceMap((TableUse("c", "Log", (), (), ("delete",)),)), KEYED)
    assert shape.sql == 'DELETE FROM "public"."Log" WHERE "id" = $1'
