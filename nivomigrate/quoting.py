"""Names and strings written into SQL text: the one identifier quoter and literal quoter.

Every name nivomigrate prints into SQL (a table, a role, a constraint, an enum's type) goes
through `identifier`, every string (an enum label, a comment, an option's value) through
`literal`, so a name or a label never becomes SQL of its own: `O'Brien` stays a string and a
role named `evil"role` stays one name. Where a statement is executed with parameters,
`psycopg.sql.Identifier` and bound values do the same job; this module is for SQL that is
printed (the diff, help texts, generated revisions). Standard library only: user revisions
import `nivomigrate.ops`, which uses it.
"""

from __future__ import annotations


def identifier(*parts: str) -> str:
    """Double-quote each part and join them with dots: `identifier("s", "t")` is `"s"."t"`.

    Every name is quoted, as PostgreSQL's quote_ident does for any name that needs it, so
    reserved words, capitals, dots and quotes inside a name are all kept as they are.
    """
    return ".".join('"' + part.replace('"', '""') + '"' for part in parts)


def literal(text: str) -> str:
    """Single-quote a string as PostgreSQL's quote_literal does.

    Quotes are doubled; a string holding a backslash is written as an E'' string with the
    backslashes doubled, so it reads the same whatever `standard_conforming_strings` says.
    """
    quoted = "'" + text.replace("'", "''") + "'"
    if "\\" in text:
        return "E" + quoted.replace("\\", "\\\\")
    return quoted


def role(name: str) -> str:
    """Quote a role name for GRANT, REVOKE and policies; `PUBLIC` (as the catalog readers
    write the grantee 0) stays the keyword, any other name is quoted."""
    return "PUBLIC" if name == "PUBLIC" else identifier(name)


def unquoted(name: str) -> str:
    """Return a name as PostgreSQL stores it: `"A""b"` is `A"b`, a bare name is lower-cased."""
    if len(name) >= 2 and name.startswith('"') and name.endswith('"'):
        return name[1:-1].replace('""', '"')
    return name.lower()
