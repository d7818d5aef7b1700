"""A revision as the checks see it: its rendered SQL, split into statements and parsed into
changes, the acknowledgements and waivers written in its file, and a way back from a
statement to the line of the revision file that made it.

Not a check itself: the revision checks (`sql_lint`, `blocking_lock_on_large_table`,
`service_still_uses`, `destructive_change`) share it.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Location, Severity

if TYPE_CHECKING:
    from nivomigrate.migrations import Revision

UNUSED_ANNOTATION = "unused-waiver"
_IDENT = r'(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)'
_QUALIFIED = rf"(?:{_IDENT}\.)?{_IDENT}"
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
    statements, in_transaction, line = [], False, 0
    for match in re.finditer(r"(?s)(.*?;)[ \t]*(?:\n|$)", text):
        chunk = match.group(1)
        start = line + len(re.match(r"\s*", chunk).group(0).split("\n")) - 1
        line += chunk.count("\n") + 1
        body = _strip_comments(chunk).strip().rstrip(";").strip()
        if not body:
            continue
        upper = body.upper()
        if upper in {"BEGIN", "START TRANSACTION"}:
            in_transaction = True
        elif upper in {"COMMIT", "ROLLBACK", "END"}:
            in_transaction = False
        else:
            first = start + _leading_comment_lines(chunk)
            statements.append(Statement(body, first, line - 1, in_transaction, parse_changes(body)))
    return statements


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def _leading_comment_lines(chunk: str) -> int:
    lines = chunk.lstrip("\n").split("\n")
    count = 0
    for text in lines:
        if text.strip() and not text.strip().startswith("--"):
            break
        count += 1
    return count


def unquote(identifier: str) -> str:
    """Return an identifier without schema and quotes (`"public"."Log"` -> `Log`)."""
    last = re.findall(_IDENT, identifier)[-1]
    return last[1:-1].replace('""', '"') if last.startswith('"') else last.lower()


def parse_changes(sql: str) -> tuple[Change, ...]:
    """Recognise the DDL that the checks care about; anything else gives ()."""
    flat = " ".join(sql.split())
    m = re.match(rf"(?i)CREATE TABLE (?:IF NOT EXISTS )?({_QUALIFIED})", flat)
    if m:
        return (Change("create_table", unquote(m.group(1))),)
    m = re.match(r"(?i)DROP TABLE (?:IF EXISTS )?(.+?)(?: CASCADE| RESTRICT)?$", flat)
    if m:
        return tuple(Change("drop_table", unquote(t)) for t in re.findall(_QUALIFIED, m.group(1)))
    m = re.match(rf"(?i)TRUNCATE (?:TABLE )?(?:ONLY )?({_QUALIFIED})", flat)
    if m:
        return (Change("truncate", unquote(m.group(1))),)
    m = re.match(rf"(?i)CREATE (?:UNIQUE )?INDEX (CONCURRENTLY )?(?:IF NOT EXISTS )?"
                 rf"(?:{_QUALIFIED} )?ON (?:ONLY )?({_QUALIFIED})", flat)
    if m:
        return (Change("create_index", unquote(m.group(2)), concurrently=bool(m.group(1))),)
    m = re.match(rf"(?i)ALTER TABLE (?:IF EXISTS )?(?:ONLY )?({_QUALIFIED}) (.*)$", flat)
    if m:
        table = unquote(m.group(1))
        return tuple(_alter_action(table, action.strip())
                     for action in _top_level_split(m.group(2)))
    return ()


def _alter_action(table: str, action: str) -> Change:
    col = rf"(?:COLUMN )?(?:IF (?:NOT )?EXISTS )?({_IDENT})"
    patterns = [
        ("rename_table", rf"(?i)RENAME TO ({_IDENT})"),
        ("rename_column", rf"(?i)RENAME {col} TO ({_IDENT})"),
        ("drop_column", rf"(?i)DROP {col}(?: CASCADE| RESTRICT)?$"),
        ("alter_type", rf"(?i)ALTER {col} (?:SET DATA )?TYPE (.+)$"),
        ("set_not_null", rf"(?i)ALTER {col} SET NOT NULL"),
        ("validate_constraint", rf"(?i)VALIDATE CONSTRAINT ({_IDENT})"),
    ]
    for kind, pattern in patterns:
        m = re.match(pattern, action)
        if not m:
            continue
        if kind == "rename_table":
            return Change(kind, table, detail=unquote(m.group(1)))
        if kind == "validate_constraint":
            return Change(kind, table, detail=unquote(m.group(1)))
        detail = unquote(m.group(2)) if kind == "rename_column" else (
            m.group(2) if kind == "alter_type" else "")
        return Change(kind, table, unquote(m.group(1)), detail)
    m = re.match(rf"(?i)ADD (?:COLUMN )?(?:IF NOT EXISTS )?({_IDENT}) (.*)$", action)
    if m and not re.match(r"(?i)ADD (CONSTRAINT|PRIMARY|UNIQUE|CHECK|FOREIGN|EXCLUDE)\b", action):
        default = re.search(r"(?i)DEFAULT (.+?)(?: NOT NULL| NULL|$)", m.group(2))
        return Change("add_column", table, unquote(m.group(1)), m.group(2),
                      volatile_default=bool(default and _is_volatile(default.group(1))))
    m = re.match(r"(?i)ADD (?:CONSTRAINT \S+ )?(PRIMARY KEY|UNIQUE|CHECK|FOREIGN KEY|EXCLUDE)",
                 action)
    if m:
        using_index = re.search(r"(?i)USING INDEX", action)
        return Change("add_constraint", table, detail=m.group(1).upper(),
                      not_valid=bool(re.search(r"(?i)NOT VALID$", action) or using_index))
    return Change("other_alter", table, detail=action)


def _is_volatile(default: str) -> bool:
    return bool(re.search(r"(?i)\b(random|gen_random_uuid|uuid_generate_v\d\w*|clock_timestamp|"
                          r"nextval|timeofday|txid_current)\s*\(", default))


def _top_level_split(text: str) -> list[str]:
    parts, depth, current, quoted = [], 0, [], False
    for char in text:
        if char in "\"'":
            quoted = not quoted
        if not quoted:
            depth += char == "("
            depth -= char == ")"
            if char == "," and depth == 0:
                parts.append("".join(current))
                current = []
                continue
        current.append(char)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


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
    floor, result = start, []
    for statement in statements:
        floor = _best_line(source, _statement_words(statement.sql), floor, end) or floor
        result.append(replace(statement, line=floor))
    return result


def _statement_words(sql: str) -> list[str]:
    quoted = [q.replace('""', '"') for q in re.findall(r'"((?:[^"]|"")+)"', sql)]
    bare = re.findall(r"(?i)(?:TABLE|COLUMN|INDEX|ON|CONSTRAINT)\s+([a-z_][\w$]*)", sql)
    keywords = {"if", "only", "not", "exists", "concurrently", "constraint"}
    return [w for w in dict.fromkeys(quoted + bare) if w.lower() not in keywords]


def _best_line(source: tuple[str, ...], words: list[str], lo: int, hi: int) -> int | None:
    """Return the line in lo..hi naming most of `words`; on a tie, the first after `lo`."""
    scores = {}
    for number in range(lo, hi + 1):
        text = source[number - 1]
        if not text.lstrip().startswith("#"):
            scores[number] = sum(1 for w in words if re.search(
                rf"""["']{re.escape(w)}["']|\b{re.escape(w)}\b""", text))
    best = max(scores.values(), default=0)
    if best == 0:
        return None
    after = [n for n, score in scores.items() if score == best and n > lo]
    return lo if scores.get(lo) == best and not after else (after or [lo])[0]


def _function_end(source: tuple[str, ...], start: int) -> int:
    for number in range(start + 1, len(source) + 1):
        text = source[number - 1]
        if text and not text[0].isspace() and not text.startswith("#"):
            return number - 1
    return len(source)
