"""SQL read by a real parser: statements split by sqlparse's lexer, DDL parsed by sqlglot.

The one module that imports them (docs/architecture.md says why these two: pglast, the
PostgreSQL parser itself, is GPL-3.0 while nivomigrate is MIT). sqlparse knows PostgreSQL's
quoting (dollar quotes, quoted identifiers, comments), so a `;` inside a function body never
splits it. sqlglot gives the tree of the DDL the checks judge; where it falls back to a raw
`Command` (VALIDATE CONSTRAINT, UNIQUE USING INDEX, an unnamed ADD CHECK), its tokenizer
still reads the words, so no regular expression ever scans SQL text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sqlglot
import sqlparse
from sqlglot import exp
from sqlglot.tokens import Tokenizer, TokenType
from sqlparse.engine import FilterStack
from sqlparse.lexer import tokenize

_DIALECT = "postgres"
# Functions whose value differs per row: a column added with one as default rewrites the table.
_VOLATILE = frozenset({"random", "gen_random_uuid", "clock_timestamp", "nextval", "timeofday",
                       "txid_current", "uuid_generate_v1", "uuid_generate_v1mc",
                       "uuid_generate_v4"})


@dataclass(frozen=True)
class SplitStatement:
    """One statement of a script, without its `;`, and its 0-based line span in the script."""

    sql: str
    first_line: int
    last_line: int


def split(script: str) -> list[SplitStatement]:
    """Split a script into statements (comments kept inside, blank ones dropped)."""
    statements, line = [], 0
    for parsed in FilterStack().run(script):  # the lexer's statements, not grouped: faster
        raw = str(parsed)
        body = _without_comments(parsed).strip().rstrip(";").strip()
        leading = len(raw) - len(raw.lstrip())
        first = line + raw[:leading].count("\n")
        text = raw.strip()
        line += raw.count("\n")
        if body:
            statements.append(SplitStatement(text.rstrip(";").rstrip(), first,
                                             first + text.count("\n")))
    return statements


def split_texts(script: str) -> list[str]:
    """Return the statements of a script as text, without their `;`."""
    return [statement.sql for statement in split(script)]


def _without_comments(parsed) -> str:
    return "".join(str(token) for token in parsed.flatten()
                   if token.ttype not in sqlparse.tokens.Comment)


def without_comments(sql: str) -> str:
    """Return `sql` without its comments (string literals and quoted names untouched)."""
    return "".join(value for ttype, value in tokenize(sql)
                   if ttype not in sqlparse.tokens.Comment).strip()


@lru_cache(maxsize=4096)
def parse(sql: str) -> exp.Expression | None:
    """Return sqlglot's tree of one statement; a raw `exp.Command` when it has no grammar for
    it; None when it cannot be parsed at all."""
    import logging

    logging.getLogger("sqlglot").setLevel(logging.ERROR)  # it warns on every Command
    try:
        return sqlglot.parse_one(sql, read=_DIALECT)
    except sqlglot.errors.SqlglotError:
        return None


def words(sql: str) -> list[tuple[str, bool]]:
    """Return the statement's tokens as (text, is_quoted_name): quoted identifiers unquoted,
    string literals dropped; an unreadable statement gives []."""
    try:
        tokens = Tokenizer(dialect=_DIALECT).tokenize(sql)
    except sqlglot.errors.SqlglotError:
        return []
    return [(token.text, token.token_type == TokenType.IDENTIFIER) for token in tokens
            if token.token_type != TokenType.STRING]


def without_phrase(sql: str, phrase: tuple[str, ...]) -> tuple[str, bool]:
    """Return `sql` with the first run of keyword tokens `phrase` cut out (for clauses sqlglot
    has no grammar for, e.g. NULLS NOT DISTINCT), and whether it was there."""
    try:
        tokens = Tokenizer(dialect=_DIALECT).tokenize(sql)
    except sqlglot.errors.SqlglotError:
        return sql, False
    texts = [token.text.upper() for token in tokens]
    for i in range(len(tokens) - len(phrase) + 1):
        if tuple(texts[i:i + len(phrase)]) == phrase:
            start, end = tokens[i].start, tokens[i + len(phrase) - 1].end + 1
            return sql[:start] + sql[end:], True
    return sql, False


def name(identifier: exp.Expression | None) -> str | None:
    """Return a table's or column's own name (schema dropped), as PostgreSQL stores it."""
    if identifier is None:
        return None
    if isinstance(identifier, exp.Schema):
        identifier = identifier.this
    if isinstance(identifier, (exp.Table, exp.Column)):
        identifier = identifier.this
    if isinstance(identifier, exp.Identifier):
        return identifier.this if identifier.quoted else identifier.this.lower()
    return identifier.name or None


def is_volatile(expression: exp.Expression | None) -> bool:
    """True when the expression calls a function whose value differs per row."""
    if expression is None:
        return False
    if any(isinstance(node, (exp.Rand, exp.Uuid)) for node in expression.walk()):
        return True  # random(), gen_random_uuid()
    return any(node.name.lower() in _VOLATILE for node in expression.find_all(exp.Anonymous))


def conjuncts(predicate: str) -> list[str]:
    """Split a boolean expression at its top-level ANDs (parentheses are grouped by the lexer,
    so an AND inside them stays); each part keeps its text, without enclosing parentheses."""
    statement = sqlparse.parse(strip_enclosing_parens(predicate))[0]
    parts, current, in_between = [], [], False
    for token in statement.tokens:
        keyword = token.normalized if token.ttype is sqlparse.tokens.Keyword else None
        if keyword == "AND" and not in_between:
            parts.append("".join(current))
            current = []
            continue
        in_between = keyword == "BETWEEN" or (in_between and keyword != "AND")
        current.append(str(token))
    parts.append("".join(current))
    return [strip_enclosing_parens(part) for part in parts if part.strip()]


def strip_enclosing_parens(text: str) -> str:
    """Remove parentheses that enclose the whole expression, as often as they do."""
    text = text.strip()
    while text.startswith("("):
        tokens = [token for token in sqlparse.parse(text)[0].tokens if not token.is_whitespace]
        if len(tokens) != 1 or not isinstance(tokens[0], sqlparse.sql.Parenthesis):
            break
        text = text[1:-1].strip()
    return text


# --- dynamic SQL in PL/pgSQL bodies ------------------------------------------------------------

# A PL/pgSQL EXECUTE statement follows one of these (the start of a statement, `RETURN QUERY`,
# `FOR r IN`, `OPEN c FOR`); after GRANT/REVOKE or `FOR EACH ROW` it is a privilege or a
# trigger's EXECUTE FUNCTION, not dynamic SQL.
_EXECUTE_AFTER = frozenset({";", "BEGIN", "THEN", "ELSE", "LOOP", ">>", "QUERY", "IN", "FOR",
                            "DECLARE"})


def string_bodies(statement: str) -> list[str]:
    """Return the contents of a statement's string literals: dollar-quoted bodies without
    their tags, single-quoted ones unescaped (a function's or a DO block's code)."""
    found = []
    for ttype, text in tokenize(statement):
        if ttype not in sqlparse.tokens.Literal:
            continue
        if text.startswith("$") and text.count("$") >= 4:
            tag = text[:text.index("$", 1) + 1]
            found.append(text[len(tag):-len(tag)] if text.endswith(tag) else text)
        elif text.startswith("'") and text.endswith("'") and len(text) >= 2:
            found.append(text[1:-1].replace("''", "'"))
    return found


def runs_dynamic_sql(body: str) -> bool:
    """Tell whether PL/pgSQL `body` has an EXECUTE statement outside its strings and
    comments, or a dollar-quoted body inside it has one (a function a DO block creates)."""
    previous = ";"
    for ttype, value in tokenize(body):
        if ttype in sqlparse.tokens.Whitespace or ttype in sqlparse.tokens.Comment:
            continue
        word = value.upper()
        if word == "EXECUTE" and previous in _EXECUTE_AFTER:
            return True
        if ttype in sqlparse.tokens.Literal and value.startswith("$") and any(
                runs_dynamic_sql(inner) for inner in string_bodies(value)):
            return True
        previous = word
    return False
