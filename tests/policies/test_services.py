"""Loading services.yaml's `operations:`: the statement kinds a service runs on a table."""

import pytest

from nivomigrate.errors import ConfigError
from nivomigrate.policies.services import TableUse, load_service_map


def _load(tmp_path, tables: str):
    (tmp_path / "services.yaml").write_text(f"services:\n  control:\n    tables:\n{tables}")
    return load_service_map(tmp_path)


def test_operations_are_read_in_their_fixed_order(tmp_path):
    [use] = _load(tmp_path, "      Device: {reads: [id], writes: [tags], "
                            "operations: [delete, update]}\n").uses
    assert use.operations == ("update", "delete")
    assert use.statement_kinds() == {"update", "delete"}


def test_an_unknown_operation_is_a_config_error_naming_file_and_key(tmp_path):
    with pytest.raises(ConfigError) as raised:
        _load(tmp_path, "      Log: {reads: [], writes: [id], operations: [insert, truncate]}\n")
    assert raised.value.exit_code == 2
    assert "services.yaml: services.control.tables.Log.operations must be a list" \
        in str(raised.value)
    assert raised.value.hint


def test_delete_only_with_written_columns_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="Log: writes must name columns exactly when"):
        _load(tmp_path, '      Log: {reads: ["*"], writes: ["*"], operations: [delete]}\n')


def test_insert_without_written_columns_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="writes must name columns"):
        _load(tmp_path, "      Log: {reads: [id], writes: [], operations: [insert]}\n")


def test_without_operations_writes_imply_them_as_before():
    assert TableUse("s", "T", (), ("a",)).statement_kinds() == {"insert", "update"}
    assert TableUse("s", "T", (), ("*",)).statement_kinds() == {"insert", "update", "delete"}
    assert TableUse("s", "T", ("*",), ()).statement_kinds() == frozenset()


def test_a_delete_only_use_deletes_the_table_but_uses_none_of_its_columns():
    use = TableUse("control", "Log", (), (), ("delete",))
    assert use.uses(None) == ("deletes",)
    assert use.uses("message") == ()
