"""unmapped-table: a table services.yaml does not name fails `check`."""

from nivomigrate.checks.unmapped_table import NAME, findings
from nivomigrate.findings import Severity
from nivomigrate.policies.services import ServiceMap, TableUse
from nivomigrate.steps.check import check_models

SERVICES = ServiceMap((TableUse("ingest", "Log", ("*",), ("*",)),), owners={"Device": "ingest"})


def test_table_named_by_a_service_or_an_owner_is_ok():
    assert findings(SERVICES, ["Log", "Device"]) == []


def test_table_named_nowhere_is_error_with_the_fix():
    (found,) = findings(SERVICES, ["Log", "Audit"])
    assert found.check == NAME and found.severity is Severity.ERROR
    assert '"Audit"' in found.message and "nivomigrate roles" in found.help


def test_project_without_services_yaml_is_not_judged():
    assert findings(ServiceMap(), ["Audit"]) == []


def test_check_fails_when_services_yaml_forgets_a_table(project):
    path = project.root / "policies" / "services.yaml"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(line for line in lines if "UploadedFile" not in line))
    report = check_models(project.settings())
    assert report.exit_code == 1
    assert [f.location.object for f in report.findings] == ["UploadedFile"]
