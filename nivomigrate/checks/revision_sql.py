"""A revision as the checks see it: its rendered SQL, split into statements and parsed into
changes, the acknowledgements and waivers written in its file, and a way back from a
statement to the line of the revision file that made it.

Not a check itself: the revision checks (`sql_lint`, `blocking_lock_on_large_table`,
`service_still_uses`, `destructive_change`) share it.
"""

from __future__ import annotations

import fnmatch
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Location, Severity
from nivomigrate.sql import exp, is_volatile, name, parse, split, without_comments, words

if TYPE_CHECKING:
    from nivomigrate.migrations import Revision

UNUSED_ANNOTATION = "unused-waiver"
_ANNOTATION = re.compile(
    r'#\s*nivomigrate:\s*(ack|waive)\s+([\w-]+)\s+"([^"]+)"\s*(?:--\s*(.*))?$'
)


@dataclass(frozen=True)
class Change:
    """What one statement does to one table: `kind` is one of create_table, drop_table,
    rename_table, truncate, drop_column, rename_column, alter_type, set_not_null,
    add_column, add_constraint, validate_constraint, create_index, other_alter."""

    kind: str
    table: str
    column: str | None = None
    detail: str = ""        # new type, new name, constraint kind, ...
    concurrently: bool = False
    not_valid: bool = False
    volatile_default: bool = False


@dataclass(frozen=True)
class Statement:
    sql: str
    first_line: int          # 0-based line in `RevisionSQL.text`
    last_line: int
    in_transaction: bool
    changes: tuple[Change, ...] = ()
    line: int | None = None  # 1-based line of the revision file that made it


@dataclass(frozen=True)
class Annotation:
    """`# nivomigrate: ack|waive <check> "<object>" -- reason` in a revision file."""

    verb: str
    check: str
    object: str
    reason: str
    line: int

    def matches(self, finding: Finding) -> bool:
        checks = {finding.check, dict(finding.evidence).get("rule")}
        return self.check in checks and fnmatch.fnmatchcase(finding.location.object or "",
                                                            self.object)


@dataclass(frozen=True)
class RevisionSQL:
    revision: Revision
    text: str                              # the offline SQL, BEGIN/COMMIT kept, for squawk
    statements: tuple[Statement, ...]
    annotations: tuple[Annotation, ...] = ()
    source: tuple[str, ...] = field(default=(), repr=False)

    @property
    def file(self) -> str:
        return str(self.revision.path)

    def created_tables(self) -> set[str]:
        return {c.table for s in self.statements for c in s.changes if c.kind == "create_table"}

    def location(self, statement: Statement | None, obj: str | None = None) -> Location:
        """Return the revision file's line that made `statement` (else `def upgrade`)."""
        line = statement.line if statement is not None else None
        return Location(self.file, line or upgrade_line(self.source), obj)


def render_revision(versions_dir: Path, revision: Revision) -> RevisionSQL:
    """Render a revision's upgrade offline and parse it (no database)."""
    from nivomigrate.migrations import render_offline

    text = _without_version_table(render_offline(versions_dir, revision))
    source = tuple(revision.path.read_text().splitlines())
    statements = with_lines(source, split_statements(text))
    return RevisionSQL(revision, text, tuple(statements), tuple(parse_annotations(source)), source)


def _without_version_table(sql: str) -> str:
    chunks = [c for c in re.split(r";\n\n", sql) if c.strip() and "alembic_version" not in c]
    text = ";\n\n".join(chunks) + (";\n" if chunks else "")
    text = re.sub(r"BEGIN;\n\nCOMMIT;\n*", "", text)     # transactions left empty
    text = re.sub(r"(CREATE TABLE alembic_version.*?;\n\n)", "", text, flags=re.S)
    return text


def split_statements(text: str) -> list[Statement]:
    """Split offline SQL into statements with their line span; BEGIN/COMMIT set the state."""
    statements, in_transaction = [], False
    for item in split(text):
        body = without_comments(item.sql)
        upper = body.upper()
        if upper in {"BEGIN", "START TRANSACTION"}:
            in_transaction = True
        elif upper in {"COMMIT", "ROLLBACK", "END"}:
            in_transaction = False
        else:
            first = item.first_line + _leading_comment_lines(item.sql)
            statements.append(Statement(body, first, item.last_line, in_transaction,
                                        parse_changes(body)))
    return statements


def _leading_comment_lines(chunk: str) -> int:
    lines = chunk.split("\n")
    count = 0
    for text in lines:
        if text.strip() and not text.strip().startswith("--"):
            break
        count += 1
    return count


def parse_changes(sql: str) -> tuple[Change, ...]:
    """Recognise the DDL that the checks care about (sqlglot's tree, else its tokens);
    anything else gives ()."""
    tree = parse(sql)
    if isinstance(tree, exp.Create) and tree.kind == "TABLE":
        return (Change("create_table", name(tree.this)),)
    if isinstance(tree, exp.Create) and tree.kind == "INDEX":
        return (Change("create_index", name(tree.this.args.get("table")),
                       concurrently=bool(tree.args.get("concurrently"))),)
    if isinstance(tree, exp.Drop) and tree.kind == "TABLE":
        return tuple(Change("drop_table", name(table)) for table in _dropped_tables(tree))
    if isinstance(tree, exp.TruncateTable):
        return tuple(Change("truncate", name(table)) for table in tree.expressions)
    if isinstance(tree, exp.Alter) and tree.kind == "TABLE":
        table = name(tree.this)
        return tuple(_alter_action(table, action, tree) for action in tree.args["actions"])
    return _changes_from_words(words(sql))


def _dropped_tables(tree: exp.Drop) -> list[exp.Expression]:
    return tree.args.get("tables") or [tree.this]


def _alter_action(table: str, action: exp.Expression, alter: exp.Alter) -> Change:
    if isinstance(action, exp.AlterRename):
        return Change("rename_table", table, detail=name(action.this))
    if isinstance(action, exp.RenameColumn):
        return Change("rename_column", table, name(action.this), name(action.args["to"]))
    if isinstance(action, exp.Drop) and action.kind == "COLUMN":
        return Change("drop_column", table, name(action.args["tables"][0]))
    if isinstance(action, exp.AlterColumn):
        return _alter_column(table, action)
    if isinstance(action, exp.ColumnDef):
        default = next((c.args["kind"].this for c in action.args.get("constraints") or ()
                        if isinstance(c.args.get("kind"), exp.DefaultColumnConstraint)), None)
        rest = action.sql(dialect="postgres").split(" ", 1)[1:]
        return Change("add_column", table, name(action.this), (rest or [""])[0],
                      volatile_default=is_volatile(default))
    if isinstance(action, exp.AddConstraint):
        return Change("add_constraint", table, detail=_constraint_kind(action),
                      not_valid=bool(alter.args.get("not_valid")))
    return Change("other_alter", table, detail=action.sql(dialect="postgres"))


def _alter_column(table: str, action: exp.AlterColumn) -> Change:
    column = name(action.this)
    if action.args.get("dtype") is not None:
        return Change("alter_type", table, column, action.args["dtype"].sql(dialect="postgres"))
    if action.args.get("allow_null") is False and not action.args.get("drop"):
        return Change("set_not_null", table, column)
    return Change("other_alter", table, column, action.sql(dialect="postgres"))


_CONSTRAINT_KINDS = ((exp.PrimaryKey, "PRIMARY KEY"), (exp.UniqueColumnConstraint, "UNIQUE"),
                     (exp.CheckColumnConstraint, "CHECK"), (exp.ForeignKey, "FOREIGN KEY"),
                     (exp.ExcludeColumnConstraint, "EXCLUDE"))


def _constraint_kind(action: exp.AddConstraint) -> str:
    for node in action.walk():
        for kind, text in _CONSTRAINT_KINDS:
            if isinstance(node, kind):
                return text
    return "CONSTRAINT"


def _changes_from_words(tokens: list[tuple[str, bool]]) -> tuple[Change, ...]:
    """What sqlglot has no grammar for, read from the tokens: ALTER TABLE ... VALIDATE
    CONSTRAINT, ADD ... USING INDEX, an unnamed ADD CHECK, CREATE INDEX ON ONLY."""
    keywords = _keywords(tokens)
    if keywords[:2] == ["ALTER", "TABLE"]:
        position = _skip(keywords, 2, ("IF", "EXISTS", "ONLY"))
        table, position = _qualified(tokens, position)
        return tuple(_word_action(table, part) for part in _actions(tokens[position:]))
    if keywords[:1] == ["CREATE"] and "INDEX" in keywords[:3] and "ON" in keywords:
        position = _skip(keywords, keywords.index("ON") + 1, ("ONLY",))
        table, _ = _qualified(tokens, position)
        return (Change("create_index", table, concurrently="CONCURRENTLY" in keywords),)
    return ()


def _keywords(tokens: list[tuple[str, bool]]) -> list[str]:
    return [text.upper() if not quoted else "" for text, quoted in tokens]


def _skip(keywords: list[str], position: int, skipped: tuple[str, ...]) -> int:
    while position < len(keywords) and keywords[position] in skipped:
        position += 1
    return position


def _qualified(tokens: list[tuple[str, bool]], position: int) -> tuple[str, int]:
    """Read `name` or `schema.name` at `position`; return the name and the next position."""
    if position >= len(tokens):
        return "", position
    text, quoted = tokens[position]
    position += 1
    while position + 1 < len(tokens) and tokens[position][0] == ".":
        text, quoted = tokens[position + 1]
        position += 2
    return (text if quoted else text.lower()), position


def _actions(tokens: list[tuple[str, bool]]) -> list[list[tuple[str, bool]]]:
    """Split an ALTER TABLE's actions at the commas outside parentheses."""
    parts, depth, current = [], 0, []
    for token in tokens:
        depth += token == ("(", False)
        depth -= token == (")", False)
        if token == (",", False) and depth == 0:
            parts.append(current)
            current = []
        else:
            current.append(token)
    return [part for part in [*parts, current] if part]


def _word_action(table: str, tokens: list[tuple[str, bool]]) -> Change:
    keywords = _keywords(tokens)
    if keywords[:2] == ["VALIDATE", "CONSTRAINT"]:
        return Change("validate_constraint", table, detail=_qualified(tokens, 2)[0])
    if keywords[:1] == ["ADD"]:
        kinds = [k for k in ("PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "EXCLUDE") if k in keywords]
        if kinds:
            detail = {"PRIMARY": "PRIMARY KEY", "FOREIGN": "FOREIGN KEY"}.get(kinds[0], kinds[0])
            using_index = "USING" in keywords and "INDEX" in keywords
            return Change("add_constraint", table, detail=detail,
                          not_valid=using_index or keywords[-2:] == ["NOT", "VALID"])
    return Change("other_alter", table, detail=" ".join(text for text, _ in tokens))


# --- acknowledgements and waivers -----------------------------------------------------------

def parse_annotations(source: tuple[str, ...] | list[str]) -> list[Annotation]:
    """Return the `# nivomigrate: ack|waive` comments of a revision file (1-based lines)."""
    annotations = []
    for number, text in enumerate(source, start=1):
        m = _ANNOTATION.search(text.strip())
        if m:
            verb, check, obj, reason = m.groups()
            annotations.append(Annotation(verb, check, obj, (reason or "").strip(), number))
    return annotations


def apply_annotations(revision: RevisionSQL, findings: list[Finding]) -> list[Finding]:
    """Turn acknowledged or waived findings into INFO; an annotation matching none warns."""
    used: set[Annotation] = set()
    result = []
    for finding in findings:
        annotation = next((a for a in revision.annotations if a.matches(finding)), None)
        if annotation is None:
            result.append(finding)
            continue
        used.add(annotation)
        word = "acknowledged" if annotation.verb == "ack" else "waived"
        reason = f": {annotation.reason}" if annotation.reason else ""
        result.append(replace(finding, severity=Severity.INFO,
                              message=f"{finding.message} ({word}{reason})"))
    for annotation in revision.annotations:
        if annotation not in used:
            result.append(Finding(
                UNUSED_ANNOTATION, Severity.WARNING,
                f'`{annotation.verb} {annotation.check} "{annotation.object}"` matches no finding',
                Location(revision.file, annotation.line, annotation.object),
                help="remove it, or correct the check name and object it names",
            ))
    return result


# --- from a statement back to the revision file -----------------------------------------------

def upgrade_line(source: tuple[str, ...]) -> int | None:
    """Return the 1-based line of `def upgrade`, None when absent."""
    return next((n for n, text in enumerate(source, 1) if text.lstrip().startswith(
        "def upgrade")), None)


def with_lines(source: tuple[str, ...], statements: list[Statement]) -> list[Statement]:
    """Give each statement the line in `upgrade()` that most likely made it: the one naming
    most of its identifiers, at or after the line of the statement before it."""
    start = upgrade_line(source)
    if start is None:
        return statements
    end = _function_end(source, start)
    code = {n: source[n - 1] for n in range(start, end + 1)
            if not source[n - 1].lstrip().startswith("#")}

    @cache  # each word looked for once, however many statements name it
    def lines_naming(word: str) -> frozenset[int]:
        """The code lines that name `word` (quoted, or as a whole word)."""
        escaped = re.escape(word)
        pattern = re.compile(rf"""["']{escaped}["']|\b{escaped}\b""")
        return frozenset(n for n, text in code.items() if word in text and pattern.search(text))

    floor, result = start, []
    for statement in statements:
        words = _statement_words(statement.sql)
        floor = _best_line([lines_naming(w) for w in words], floor, end) or floor
        result.append(replace(statement, line=floor))
    return result


def _statement_words(sql: str) -> list[str]:
    quoted = [q.replace('""', '"') for q in re.findall(r'"((?:[^"]|"")+)"', sql)]
    bare = re.findall(r"(?i)(?:TABLE|COLUMN|INDEX|ON|CONSTRAINT)\s+([a-z_][\w$]*)", sql)
    keywords = {"if", "only", "not", "exists", "concurrently", "constraint"}
    return [w for w in dict.fromkeys(quoted + bare) if w.lower() not in keywords]


def _best_line(naming: list[frozenset[int]], lo: int, hi: int) -> int | None:
    """Return the line in lo..hi naming most words (`naming`: each word's lines); on a tie,
    the first after `lo`."""
    scores = Counter(n for lines in naming for n in lines if lo <= n <= hi)
    best = max(scores.values(), default=0)
    if best == 0:
        return None
    after = sorted(n for n, score in scores.items() if score == best and n > lo)
    return lo if scores.get(lo) == best and not after else (after or [lo])[0]


def _function_end(source: tuple[str, ...], start: int) -> int:
    for number in range(start + 1, len(source) + 1):
        text = source[number - 1]
        if text and not text[0].isspace() and not text.startswith("#"):
            return number - 1
    return len(source)
