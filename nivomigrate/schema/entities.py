"""Entities for what alembic_utils lacks: views with options, grants, default privileges, RLS.

Each is a `ReplaceableEntity` in alembic_utils' style (identity, definition, `from_database`,
create/drop/replace statements), declared beside the models and registered the same way
(`register_entities`, see `nivomigrate/schema/objects.py`), so `nivomigrate revision -m`
writes them and `nivomigrate check` compares them. Written by hand because alembic_utils
0.8.8 has none of them: its PGGrantTable needs column lists, sees only grants made by
CURRENT_USER, misses PUBLIC and has no sequence, function, schema or default privileges
(olirice/alembic_utils#159, declined); its PGView has no WITH options and its CREATE OR
REPLACE drops `security_invoker`; RLS enable/force has no entity; its PGTrigger and PGPolicy
unquote the table's name, which breaks on Prisma's CamelCase tables ("Plan").

A grant entity says what one role may do on one object, all of it: `TableGrant("public",
"Log", "anon", ["SELECT"])` means anon has exactly SELECT on public.Log. `PUBLIC` is every
role. An empty privilege list revokes a default PostgreSQL gives (PUBLIC's EXECUTE on a
function); a grant equal to the default is refused (declare nothing). Each class is a direct
subclass of ReplaceableEntity: alembic_utils looks for undeclared objects to drop only in
those. Beware of PostgreSQL's rule that revoking a table privilege revokes the same column
privilege: declare a role's privileges on a table at one level, table or columns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import ClassVar

from alembic_utils.exceptions import BadInputException
from alembic_utils.replaceable_entity import ReplaceableEntity
from alembic_utils.reversible_op import ReplaceOp
from alembic_utils.statement import coerce_to_unquoted, normalize_whitespace
from sqlalchemy import text as sql_text
from sqlalchemy.sql.elements import TextClause

from nivomigrate import quoting

__all__ = [
    "ColumnGrant",
    "DefaultPrivileges",
    "FunctionGrant",
    "Policy",
    "RowLevelSecurity",
    "SchemaGrant",
    "SequenceGrant",
    "TableGrant",
    "Trigger",
    "View",
    "column_grants",
    "table_grants",
]

_TRUE = {"on", "true", "yes", "1", "t", "y"}
_FALSE = {"off", "false", "no", "0", "f", "n"}


def option_value(value: object) -> str:
    """Return a view option's value as PostgreSQL compares it (booleans as `true`/`false`)."""
    text = str(value).lower()
    if text in _TRUE:
        return "true"
    if text in _FALSE:
        return "false"
    return str(value)


def _role(name: str) -> str:
    return "PUBLIC" if name.upper() == "PUBLIC" else coerce_to_unquoted(name)


def _catalog_rows(sess, kind: str, schema: str) -> list:
    """Return the catalog floor's rows of `kind` (a row kind of `nivomigrate.catalog`) in the
    schemas `schema` matches (a LIKE pattern, as alembic_utils passes it), read through the
    session's connection (in its transaction)."""
    from nivomigrate.catalog import KINDS, read_catalog

    (read_kind,) = [k.name for k in KINDS if kind in k.yields]
    conn = sess.connection().connection.driver_connection
    read = read_catalog(conn, kinds=frozenset({read_kind}), parts=True)
    pattern = re.compile("".join(".*" if c == "%" else "." if c == "_" else re.escape(c)
                                 for c in schema), re.DOTALL)
    return [row for row in read.of(kind).values()
            if pattern.fullmatch(row.parts.get("schema") or "public")]


def _variable(*parts: str) -> str:
    return re.sub(r"\W+", "_", "_".join(parts)).strip("_").lower()


class _Rendered:
    """One import line per class in a written revision (alembic_utils adds sql_text too)."""

    @classmethod
    def render_import_statement(cls) -> str:
        return f"from {cls.__module__} import {cls.__name__}"


class View(_Rendered, ReplaceableEntity):
    """A view with its WITH options, `View("public", "open_task", "select ...",
    options={"security_invoker": True})`; replacing it keeps the options it declares."""

    type_ = "view"

    def __init__(self, schema: str, signature: str, definition: str,
                 options: Mapping[str, object] | None = None):
        self.schema = coerce_to_unquoted(normalize_whitespace(schema))
        self.signature = coerce_to_unquoted(normalize_whitespace(signature))
        self.definition = definition.strip().rstrip(";").strip()
        self.options = {key.lower(): option_value(value)
                        for key, value in sorted((options or {}).items())}

    @classmethod
    def from_sql(cls, sql: str) -> View:
        raise NotImplementedError("declare View(schema, name, definition, options=...)")

    def _name(self) -> str:
        return quoting.identifier(self.schema, self.signature)

    def _with(self) -> str:
        if not self.options:
            return ""
        return " WITH (" + ", ".join(f"{k} = {v}" for k, v in self.options.items()) + ")"

    def to_sql_statement_create(self) -> TextClause:
        return sql_text(f"CREATE VIEW {self._name()}{self._with()} AS {self.definition}")

    def to_sql_statement_drop(self, cascade=False) -> TextClause:
        return sql_text(f"DROP VIEW {self._name()}{' CASCADE' if cascade else ''}")

    def to_sql_statement_create_or_replace(self):
        """CREATE OR REPLACE with the options; DROP and CREATE when the columns changed."""
        yield sql_text(
            f"DO $view$ BEGIN\n    CREATE OR REPLACE VIEW {self._name()}{self._with()} AS "
            f"{self.definition};\nEXCEPTION WHEN others THEN\n    DROP VIEW {self._name()};\n"
            f"    CREATE VIEW {self._name()}{self._with()} AS {self.definition};\nEND $view$")

    @classmethod
    def from_database(cls, sess, schema="%"):
        return [cls(row.parts["schema"], row.parts["name"], row.attributes["definition"],
                    row.attributes["options"] or {})
                for row in _catalog_rows(sess, "view", schema)]

    def get_required_migration_op(self, sess, dependencies=None):
        """alembic_utils compares the definition; the options are compared here too."""
        op = super().get_required_migration_op(sess, dependencies)
        if op is not None:
            return op
        live = {v.identity: v for v in self.from_database(sess, self.schema)}.get(self.identity)
        if live is not None and live.options != self.options:
            self._version_to_replace = live
            return ReplaceOp(self)
        return None

    def to_variable_name(self) -> str:
        return _variable(self.schema, self.signature)

    def render_self_for_migration(self, omit_definition=False) -> str:
        definition = self.definition if not omit_definition else "# not required for op"
        return (f"{self.to_variable_name()} = {type(self).__name__}(\n"
                f"    schema={self.schema!r},\n    signature={self.signature!r},\n"
                f"    definition={definition!r},\n    options={self.options!r},\n)\n")


class _Privileges:
    """What one role may do on one object (a mixin of the grant entities)."""

    on_kind: ClassVar[str]                 # as in GRANT ... ON <on_kind> <object>
    allowed: ClassVar[frozenset[str]]
    # PostgreSQL's default for PUBLIC on this kind (acldefault), revoked by an empty list.
    public_default: ClassVar[tuple[str, ...]] = ()

    def _setup(self, schema: str, name: str, role: str, privileges: Iterable[str],
               with_grant_option: bool) -> None:
        self.schema = coerce_to_unquoted(schema)
        self.object_name = name
        self.role = _role(role)
        self.privileges = tuple(sorted({p.strip().upper() for p in privileges}))
        self.with_grant_option = bool(with_grant_option and self.privileges)
        unknown = set(self.privileges) - self.allowed
        if unknown:
            raise BadInputException(f"{type(self).__name__} cannot grant {sorted(unknown)}; "
                                    f"one of {sorted(self.allowed)}")
        default = self.public_default if self.role == "PUBLIC" else ()
        if self.privileges == default and not self.with_grant_option:
            raise BadInputException(
                f"{self.role}'s privileges on {name} are PostgreSQL's default: declare nothing"
                if default else f"an empty grant to {self.role} on {name} is no grant")
        self.signature = f"{name} to {self.role}"

    @property
    def definition(self) -> str:
        text = ", ".join(self.privileges) or "(none)"
        return text + (" WITH GRANT OPTION" if self.with_grant_option else "")

    def _target(self) -> str:
        return f"{self.on_kind} {quoting.identifier(self.schema, self.object_name)}"

    def _privilege_list(self, privileges: Iterable[str]) -> str:
        return ", ".join(privileges)

    def _grant(self, privileges: tuple[str, ...], grant_option: bool = False) -> str:
        option = " WITH GRANT OPTION" if grant_option else ""
        return (f"GRANT {self._privilege_list(privileges)} ON {self._target()} "
                f"TO {quoting.role(self.role)}{option}")

    def _revoke(self, privileges: tuple[str, ...], cascade: bool = False) -> str:
        return (f"REVOKE {self._privilege_list(privileges)} ON {self._target()} "
                f"FROM {quoting.role(self.role)}{' CASCADE' if cascade else ''}")

    def _default(self) -> tuple[str, ...]:
        return self.public_default if self.role == "PUBLIC" else ()

    def to_sql_statement_create(self) -> TextClause:
        if not self.privileges:
            return sql_text(self._revoke(self._default()))
        return sql_text(self._grant(self.privileges, self.with_grant_option))

    def to_sql_statement_drop(self, cascade=False) -> TextClause:
        """Give the role back PostgreSQL's default: nothing, or PUBLIC's EXECUTE."""
        if not self.privileges:
            return sql_text(self._grant(self._default()))
        return sql_text(self._revoke(self.privileges, cascade))

    def to_sql_statement_create_or_replace(self):
        yield sql_text(self._revoke(tuple(sorted(self.allowed))))
        if self.privileges:
            yield sql_text(self._grant(self.privileges, self.with_grant_option))
        elif self._default():
            yield sql_text(self._revoke(self._default()))

    @classmethod
    def from_sql(cls, sql: str):
        raise NotImplementedError(f"declare {cls.__name__}(...) in Python")

    @classmethod
    def from_database(cls, sess, schema="%"):
        rows = [_grant_row(row) for row in _catalog_rows(sess, "grant", schema)]
        return [entity for row in rows if row and (entity := cls._from_row(*row)) is not None]

    @classmethod
    def _from_row(cls, on_kind, schema, name, column, role, granted, grantable):
        if on_kind != cls.on_kind.lower():
            return None
        return cls(schema, name, role, granted, with_grant_option=grantable)

    def to_variable_name(self) -> str:
        return _variable(type(self).__name__, self.schema, self.signature)

    def render_self_for_migration(self, omit_definition=False) -> str:
        return f"{self.to_variable_name()} = {self!r}\n"

    def __repr__(self) -> str:
        option = ", with_grant_option=True" if self.with_grant_option else ""
        return (f"{type(self).__name__}({self.schema!r}, {self.object_name!r}, {self.role!r}, "
                f"{list(self.privileges)!r}{option})")


class TableGrant(_Rendered, _Privileges, ReplaceableEntity):
    """A role's privileges on a table, view or materialized view."""

    type_ = "grant_table"
    on_kind = "TABLE"
    allowed = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES",
                         "TRIGGER"})

    def __init__(self, schema: str, table: str, role: str, privileges: Iterable[str],
                 with_grant_option: bool = False):
        self._setup(schema, table, role, privileges, with_grant_option)


class SequenceGrant(_Rendered, _Privileges, ReplaceableEntity):
    """A role's privileges on a sequence."""

    type_ = "grant_sequence"
    on_kind = "SEQUENCE"
    allowed = frozenset({"USAGE", "SELECT", "UPDATE"})

    def __init__(self, schema: str, sequence: str, role: str, privileges: Iterable[str],
                 with_grant_option: bool = False):
        self._setup(schema, sequence, role, privileges, with_grant_option)


class FunctionGrant(_Rendered, _Privileges, ReplaceableEntity):
    """A role's EXECUTE on a function, named with its argument types: `"touch(integer)"`.

    PUBLIC may execute every function by default: `FunctionGrant(schema, "f(text)", "PUBLIC",
    [])` revokes that."""

    type_ = "grant_function"
    on_kind = "FUNCTION"
    allowed = frozenset({"EXECUTE"})
    public_default = ("EXECUTE",)

    def __init__(self, schema: str, function: str, role: str, privileges: Iterable[str],
                 with_grant_option: bool = False):
        self._setup(schema, normalize_whitespace(function), role, privileges, with_grant_option)

    def _target(self) -> str:
        name, _, arguments = self.object_name.partition("(")
        return f"FUNCTION {quoting.identifier(self.schema, name)}({arguments}"


class SchemaGrant(_Rendered, _Privileges, ReplaceableEntity):
    """A role's privileges on a schema (`SchemaGrant("public", "anon", ["USAGE"])`)."""

    type_ = "grant_schema"
    on_kind = "SCHEMA"
    allowed = frozenset({"USAGE", "CREATE"})

    def __init__(self, schema: str, role: str, privileges: Iterable[str],
                 with_grant_option: bool = False):
        self._setup(schema, schema, role, privileges, with_grant_option)

    def _target(self) -> str:
        return f"SCHEMA {quoting.identifier(self.schema)}"

    @classmethod
    def _from_row(cls, on_kind, schema, name, column, role, granted, grantable):
        if on_kind != "schema":
            return None
        return cls(schema, role, granted, with_grant_option=grantable)

    def __repr__(self) -> str:
        option = ", with_grant_option=True" if self.with_grant_option else ""
        return f"SchemaGrant({self.schema!r}, {self.role!r}, {list(self.privileges)!r}{option})"


class ColumnGrant(_Rendered, _Privileges, ReplaceableEntity):
    """A role's privileges on one column (`ColumnGrant("public", "Log", "level", "anon",
    ["SELECT"])`); `column_grants()` makes one per column."""

    type_ = "grant_column"
    on_kind = "TABLE"
    allowed = frozenset({"SELECT", "INSERT", "UPDATE", "REFERENCES"})

    def __init__(self, schema: str, table: str, column: str, role: str,
                 privileges: Iterable[str], with_grant_option: bool = False):
        self.table, self.column = table, column
        self._setup(schema, table, role, privileges, with_grant_option)
        self.signature = f"{table}.{column} to {self.role}"

    def _privilege_list(self, privileges: Iterable[str]) -> str:
        return ", ".join(f"{p} ({quoting.identifier(self.column)})" for p in privileges)

    @classmethod
    def _from_row(cls, on_kind, schema, name, column, role, granted, grantable):
        if on_kind != "column":
            return None
        return cls(schema, name, column, role, granted, with_grant_option=grantable)

    def __repr__(self) -> str:
        option = ", with_grant_option=True" if self.with_grant_option else ""
        return (f"ColumnGrant({self.schema!r}, {self.table!r}, {self.column!r}, {self.role!r}, "
                f"{list(self.privileges)!r}{option})")


def column_grants(schema: str, table: str, columns: Iterable[str], role: str,
                  privileges: Iterable[str]) -> list[ColumnGrant]:
    """Return one ColumnGrant per column, each with the same privileges."""
    privileges = list(privileges)
    return [ColumnGrant(schema, table, column, role, privileges) for column in columns]


def table_grants(role: str, privileges_by_table: Mapping[str, Iterable[str]], *,
                 schema: str = "public") -> list[TableGrant]:
    """Return a role's TableGrants from data: `table_grants("ingest_api", {"Log": ["INSERT"],
    "Device": ["SELECT", "UPDATE"]})`."""
    return [TableGrant(schema, table, role, privileges)
            for table, privileges in sorted(privileges_by_table.items())]


_OBJECT_TYPES = {"tables": "r", "sequences": "S", "functions": "f", "types": "T",
                 "schemas": "n"}
_DEFAULT_PRIVILEGES = {"tables": TableGrant.allowed, "sequences": SequenceGrant.allowed,
                       "functions": frozenset({"EXECUTE"}), "types": frozenset({"USAGE"}),
                       "schemas": frozenset({"USAGE", "CREATE"})}


class DefaultPrivileges(_Rendered, _Privileges, ReplaceableEntity):
    """ALTER DEFAULT PRIVILEGES: what objects created later get.

    `DefaultPrivileges("tables", "anon", ["SELECT"], in_schema="public")`. `for_role` None
    means the role migrations run as; `in_schema` None means every schema (then an empty list
    revokes PUBLIC's default EXECUTE on functions or USAGE on types)."""

    type_ = "default_privileges"

    def __init__(self, on: str, role: str, privileges: Iterable[str], *,
                 in_schema: str | None = None, for_role: str | None = None,
                 with_grant_option: bool = False):
        self.on = on.lower()
        if self.on not in _OBJECT_TYPES:
            raise BadInputException(f"default privileges are on one of {sorted(_OBJECT_TYPES)}")
        if self.on == "schemas" and in_schema:
            raise BadInputException("default privileges on schemas take no in_schema")
        self.in_schema, self.for_role = in_schema, for_role
        self.allowed = _DEFAULT_PRIVILEGES[self.on]
        global_default = {"functions": ("EXECUTE",), "types": ("USAGE",)}.get(self.on, ())
        self.public_default = global_default if in_schema is None else ()
        self._setup(in_schema or "public", self.on, role, privileges, with_grant_option)
        self.signature = (f"for {for_role or 'current_user'} in {in_schema or '*'} "
                          f"on {self.on} to {self.role}")

    def _target(self) -> str:
        return self.on.upper()

    def _prefix(self) -> str:
        role = f" FOR ROLE {quoting.identifier(self.for_role)}" if self.for_role else ""
        schema = f" IN SCHEMA {quoting.identifier(self.in_schema)}" if self.in_schema else ""
        return f"ALTER DEFAULT PRIVILEGES{role}{schema} "

    def _grant(self, privileges, grant_option=False) -> str:
        return self._prefix() + super()._grant(privileges, grant_option)

    def _revoke(self, privileges, cascade=False) -> str:
        return self._prefix() + super()._revoke(privileges, cascade)

    @classmethod
    def from_database(cls, sess, schema="%"):
        entities = []
        for row in _catalog_rows(sess, "default_privileges", schema):
            parts = row.parts
            if parts["grantee"] == parts["role"]:
                continue  # the owner's own: ALTER DEFAULT PRIVILEGES does not declare them
            granted, grantable = _privileges(row)
            entities.append(cls(parts["on"], parts["grantee"] or "PUBLIC", granted,
                                in_schema=parts["schema"],
                                for_role=None if parts["for_current_user"] else parts["role"],
                                with_grant_option=grantable))
        return entities

    def __repr__(self) -> str:
        extra = "".join(f", {name}={value!r}" for name, value in (
            ("in_schema", self.in_schema), ("for_role", self.for_role),
            ("with_grant_option", self.with_grant_option or None)) if value)
        return f"DefaultPrivileges({self.on!r}, {self.role!r}, {list(self.privileges)!r}{extra})"


class RowLevelSecurity(_Rendered, ReplaceableEntity):
    """Row level security of one table: enabled, and forced on its owner too.

    `RowLevelSecurity("public", "Log", forced=True)`. Policies are alembic_utils' PGPolicy."""

    type_ = "row_level_security"

    def __init__(self, schema: str, table: str, *, enabled: bool = True, forced: bool = False):
        self.schema = coerce_to_unquoted(schema)
        self.signature = coerce_to_unquoted(table)
        self.enabled, self.forced = bool(enabled), bool(forced)
        if not (self.enabled or self.forced):
            raise BadInputException("row level security neither enabled nor forced: declare "
                                    "nothing")

    @property
    def definition(self) -> str:
        return ", ".join(word for word, on in (("ENABLE", self.enabled), ("FORCE", self.forced))
                         if on)

    def _alter(self, enabled: bool, forced: bool) -> TextClause:
        return sql_text(
            f"ALTER TABLE {quoting.identifier(self.schema, self.signature)} "
            f"{'ENABLE' if enabled else 'DISABLE'} ROW LEVEL SECURITY, "
            f"{'FORCE' if forced else 'NO FORCE'} ROW LEVEL SECURITY")

    def to_sql_statement_create(self) -> TextClause:
        return self._alter(self.enabled, self.forced)

    def to_sql_statement_drop(self, cascade=False) -> TextClause:
        return self._alter(False, False)

    def to_sql_statement_create_or_replace(self):
        yield self.to_sql_statement_create()

    @classmethod
    def from_sql(cls, sql: str):
        raise NotImplementedError("declare RowLevelSecurity(schema, table, forced=...)")

    @classmethod
    def from_database(cls, sess, schema="%"):
        return [cls(row.parts["schema"], row.parts["name"],
                    enabled=row.attributes["row_security"],
                    forced=row.attributes["force_row_security"])
                for row in _catalog_rows(sess, "table", schema)
                if row.attributes["kind"] in ("r", "p") and (
                    row.attributes["row_security"] or row.attributes["force_row_security"])]

    def to_variable_name(self) -> str:
        return _variable("rls", self.schema, self.signature)

    def render_self_for_migration(self, omit_definition=False) -> str:
        return (f"{self.to_variable_name()} = RowLevelSecurity({self.schema!r}, "
                f"{self.signature!r}, enabled={self.enabled}, forced={self.forced})\n")


class _OnTable:
    """An object of a table, named in it (a mixin of Trigger and Policy): alembic_utils'
    PGTrigger and PGPolicy unquote the table's name, which breaks on Prisma's CamelCase."""

    object_word: ClassVar[str]
    catalog_kind: ClassVar[str]  # its rows' kind in nivomigrate.catalog

    def __init__(self, schema: str, table: str, name: str, definition: str):
        self.schema, self.table = coerce_to_unquoted(schema), coerce_to_unquoted(table)
        self.name = coerce_to_unquoted(name)
        self.signature = f"{self.table}.{self.name}"
        self.definition = normalize_whitespace(definition.strip().rstrip(";").strip())

    def _table_sql(self) -> str:
        return quoting.identifier(self.schema, self.table)

    def to_sql_statement_create(self) -> TextClause:
        return sql_text(self.definition)

    def to_sql_statement_drop(self, cascade=False) -> TextClause:
        return sql_text(f"DROP {self.object_word} {quoting.identifier(self.name)} ON "
                        f"{self._table_sql()}{' CASCADE' if cascade else ''}")

    def to_sql_statement_create_or_replace(self):
        yield sql_text(f"DROP {self.object_word} IF EXISTS {quoting.identifier(self.name)} ON "
                       f"{self._table_sql()}")
        yield self.to_sql_statement_create()

    @classmethod
    def from_sql(cls, sql: str):
        raise NotImplementedError(f"declare {cls.__name__}(schema, table, name, sql)")

    @classmethod
    def from_database(cls, sess, schema="%"):
        return [cls(row.parts["schema"], row.parts["table"], row.parts["name"],
                    cls._statement(row))
                for row in _catalog_rows(sess, cls.catalog_kind, schema)]

    @staticmethod
    def _statement(row) -> str:
        return row.attributes["definition"]

    def to_variable_name(self) -> str:
        return _variable(type(self).__name__, self.schema, self.table, self.name)

    def render_self_for_migration(self, omit_definition=False) -> str:
        return (f"{self.to_variable_name()} = {type(self).__name__}(\n    {self.schema!r}, "
                f"{self.table!r}, {self.name!r},\n    {self.definition!r},\n)\n")


class Trigger(_Rendered, _OnTable, ReplaceableEntity):
    """A trigger, declared with its whole CREATE TRIGGER statement:
    `Trigger("public", "Plan", "plan_touch", 'CREATE TRIGGER plan_touch BEFORE UPDATE ON
    public."Plan" FOR EACH ROW EXECUTE FUNCTION public.plan_touch()')`."""

    type_ = "trigger"
    object_word = "TRIGGER"
    catalog_kind = "trigger"


class Policy(_Rendered, _OnTable, ReplaceableEntity):
    """A row level security policy, declared with its whole CREATE POLICY statement:
    `Policy("public", "Plan", "plan_read", 'CREATE POLICY plan_read ON public."Plan" FOR
    SELECT USING ("isPublic")')`."""

    type_ = "policy"
    object_word = "POLICY"
    catalog_kind = "policy"

    @staticmethod
    def _statement(row) -> str:
        return _policy_statement(row)


_POLICY_COMMANDS = {"r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE", "*": "ALL"}


def _policy_statement(row) -> str:
    """Return a catalog policy row as the CREATE POLICY statement that makes it."""
    parts, attributes = row.parts, row.attributes
    roles = ", ".join(quoting.role(name or "PUBLIC")
                      for name in sorted(parts["roles"] or [], key=lambda r: r or "public"))
    using, check = attributes["using"], attributes["with_check"]
    return (f"CREATE POLICY {quoting.identifier(parts['name'])} ON "
            f"{quoting.identifier(parts['schema'], parts['table'])} AS "
            f"{'PERMISSIVE' if attributes['permissive'] else 'RESTRICTIVE'} FOR "
            f"{_POLICY_COMMANDS[attributes['command']]} TO {roles}"
            + (f" USING ({using})" if using is not None else "")
            + (f" WITH CHECK ({check})" if check is not None else ""))


# The catalog's grant rows' kinds of object, as the grant entities' rows name them.
_GRANT_KINDS = {"table": "table", "view": "table", "materialized view": "table",
                "foreign table": "table", "sequence": "sequence", "column": "column",
                "function": "function", "procedure": "function", "schema": "schema"}


def _privileges(row) -> tuple[list[str], bool]:
    """Return a grant row's privileges and whether all are WITH GRANT OPTION (`*`)."""
    privileges = list(row.attributes["privileges"])
    return ([p.rstrip("*") for p in privileges],
            bool(privileges) and all(p.endswith("*") for p in privileges))


def _grant_row(row) -> tuple | None:
    """Return a catalog grant row as (kind, schema, name, column, role, privileges, grantable),
    or None for the owner's own and for PUBLIC's USAGE on schema public (initdb's)."""
    parts = row.parts
    granted, grantable = _privileges(row)
    if parts["is_owner"] or (parts["on"] == "schema" and parts["name"] == "public"
                             and parts["grantee"] is None and row.attributes["privileges"]
                             == ["USAGE"]):
        return None
    return (_GRANT_KINDS[parts["on"]], parts["schema"], parts["name"], parts["column"],
            parts["grantee"] or "PUBLIC", granted, grantable)
