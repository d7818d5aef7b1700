"""policies/services.yaml and policies/hot_queries.yaml agree with the NivoStack Prisma schema.

Static part: every table and column the two files name is a model / scalar field of the schema
(relation fields are skipped when the .prisma file is read). Database part: every hot query's SQL
is PREPAREd, with parameter types inferred, on a fresh database built from the Prisma-generated
DDL in tests/fixtures/prisma/nivostack_prisma.sql.
"""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
POLICIES = REPO / "policies"
FIXTURES = REPO / "tests" / "fixtures" / "prisma"
DDL = FIXTURES / "nivostack_prisma.sql"
PRISMA_SCHEMA = FIXTURES / "nivostack_schema.prisma"  # a copy of the reference schema
SERVICES = {"ingest", "control", "studio"}
SCALAR_TYPES = {
    "String", "Int", "BigInt", "Float", "Decimal", "Boolean", "DateTime", "Json", "Bytes",
}


def _schema_path() -> Path:
    return PRISMA_SCHEMA


def parse_prisma(text: str) -> dict[str, set[str]]:
    """Model name -> scalar field names. Relation fields (typed by a model) are left out."""
    blocks: dict[str, list[tuple[str, str]]] = {}
    enums: set[str] = set()
    current: str | None = None
    for raw in text.splitlines():
        line = raw.split("//", 1)[0].strip()
        if not line:
            continue
        head = re.match(r"(model|enum|type|view)\s+(\w+)\s*\{", line)
        if head:
            kind, name = head.groups()
            if kind == "enum":
                enums.add(name)
                current = None
            else:
                current = name
                blocks[name] = []
            continue
        if line == "}":
            current = None
            continue
        if current and not line.startswith("@@"):
            parts = line.split()
            if len(parts) >= 2:
                blocks[current].append((parts[0], re.sub(r"[?\[\]]", "", parts[1])))
    def is_scalar(t: str) -> bool:
        return t in SCALAR_TYPES or t in enums or t.startswith("Unsupported")

    return {model: {f for f, t in fields if is_scalar(t)} for model, fields in blocks.items()}


@pytest.fixture(scope="module")
def schema() -> dict[str, set[str]]:
    models = parse_prisma(_schema_path().read_text())
    assert len(models) >= 39, f"expected the 39 NivoStack models, parsed {len(models)}"
    return models


@pytest.fixture(scope="module")
def services_doc() -> dict:
    return yaml.safe_load((POLICIES / "services.yaml").read_text())


@pytest.fixture(scope="module")
def hot_doc() -> dict:
    return yaml.safe_load((POLICIES / "hot_queries.yaml").read_text())


def _check_columns(schema, table, columns, where, problems):
    if table not in schema:
        problems.append(f"{where}: unknown table {table}")
        return
    for col in columns:
        if col != "*" and col not in schema[table]:
            problems.append(f"{where}: {table}.{col} is not a scalar column")


def test_services_yaml_names_only_schema_tables_and_columns(schema, services_doc):
    assert services_doc["version"] == 1
    assert set(services_doc["services"]) == SERVICES
    problems: list[str] = []
    owners = services_doc["owners"]
    for table, owner in owners.items():
        if table not in schema:
            problems.append(f"owners: unknown table {table}")
        if owner not in SERVICES:
            problems.append(f"owners: {table} owned by unknown service {owner}")
    missing = set(schema) - set(owners)
    if missing:
        problems.append(f"owners: tables without an owner: {sorted(missing)}")
    for name, svc in services_doc["services"].items():
        assert svc["routes"], f"{name} has no routes"
        for table, access in svc["tables"].items():
            assert set(access) <= {"reads", "writes", "operations"}, f"{name}.{table}: {access}"
            for kind in ("reads", "writes"):
                cols = access.get(kind, [])
                if "*" in cols and len(cols) > 1:
                    problems.append(f"{name}.{table}.{kind}: '*' mixed with columns")
                _check_columns(schema, table, cols, f"{name}.{table}.{kind}", problems)
    assert not problems, "\n".join(problems)


def test_hot_queries_yaml_is_well_formed_and_names_schema_columns(schema, hot_doc):
    assert hot_doc["version"] == 1
    queries = hot_doc["queries"]
    names = [q["name"] for q in queries]
    assert len(names) == len(set(names)), "duplicate query names"
    problems: list[str] = []
    for q in queries:
        where = q["name"]
        if not re.fullmatch(r"[a-z][a-z0-9_]*", q["name"]):
            problems.append(f"{where}: name is not snake_case")
        if q["service"] not in SERVICES:
            problems.append(f"{where}: unknown service {q['service']}")
        if not isinstance(q["required"], bool):
            problems.append(f"{where}: required must be a boolean")
        if not re.fullmatch(r"dashboard/src/\S+\.ts:\d+", q["source"]):
            problems.append(f"{where}: source {q['source']!r} is not file:line")
        order_cols = []
        for o in q.get("order") or []:
            order_cols.append(o["column"])
            if o.get("direction") not in ("asc", "desc"):
                problems.append(f"{where}: bad direction {o!r}")
        _check_columns(schema, q["table"], list(q["equality"]) + order_cols, where, problems)
        # every quoted identifier "public"."Table"."column" in the SQL is in the schema
        for table, column in re.findall(r'"public"\."(\w+)"\."(\w+)"', q["sql"]):
            _check_columns(schema, table, [column], f"{where} (sql)", problems)
        for table in re.findall(r'"public"\."(\w+)"(?!\.)', q["sql"]):
            if table not in schema:
                problems.append(f"{where} (sql): unknown table {table}")
    required = [q["name"] for q in queries if q["required"]]
    assert required, "no required hot query"
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- database part


@pytest.fixture
def prisma_db(make_database) -> str:
    """A fresh database built from the Prisma DDL; dropped afterwards."""
    url = make_database("nivo_policies")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(DDL.read_text())
    return url


def test_hot_queries_prepare_against_prisma_schema(prisma_db, hot_doc):
    failures: list[str] = []
    with psycopg.connect(prisma_db, autocommit=True) as conn:
        for q in hot_doc["queries"]:
            sql = q["sql"].strip().rstrip(";")
            try:
                conn.execute(f"PREPARE q AS {sql}")
                conn.execute("DEALLOCATE q")
            except psycopg.Error as exc:
                failures.append(f"{q['name']}: {str(exc).strip()}")
    assert not failures, "\n".join(failures)
