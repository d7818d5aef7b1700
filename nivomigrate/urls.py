"""Connection strings read before libpq parses them, then by libpq itself.

libpq's own parser (`psycopg.conninfo.conninfo_to_dict`, i.e. PQconninfoParse) does not catch
an unencoded `/`, `#`, `?` or `@` in a URL's password: it reads `postgres:Sl4sh/Cnry#9x@host`
as host `postgres`, port `Sl4sh`, and the next error message shows a piece of the password.
So the user-info part is checked first, by hand (no library splits a URL whose password breaks
the URL grammar), and refused with the exact percent-encoding to use. Prisma's and Supabase's
own query parameters (which libpq refuses) are then taken out, by name; everything else, URL
or key=value form, is parsed by libpq.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote, unquote

from nivomigrate.errors import ConfigError
from nivomigrate.userinfo import split_userinfo

URL_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")
# Characters that end the user-info part, or a percent-escape, when written unencoded.
_RESERVED = {"@": "%40", "/": "%2F", "#": "%23", "?": "%3F", " ": "%20", "[": "%5B",
             "]": "%5D"}
_HEX = set("0123456789abcdefABCDEF")
# Query parameters of Prisma and Supabase that libpq does not know: what nivomigrate does.
DROPPED_PARAMETERS = {
    "connection_limit": "Prisma's pool size: nivomigrate opens its own few connections",
    "pool_timeout": "Prisma's pool wait", "statement_cache_size": "Prisma's statement cache",
    "socket_timeout": "Prisma's socket timeout (nivomigrate sets statement_timeout)",
    "sslaccept": "Prisma's TLS option (use sslmode)", "supa": "Supabase's client tag",
    "pgbouncer": "Prisma's pooler flag (pgbouncer=true is refused)",
    "readonly": "the read replica flag (readonly=true is refused)",
    "schema": "Prisma's schema, applied as the search_path",
}


@dataclass(frozen=True)
class ConnectionString:
    """A connection string as libpq will read it: its keywords, and what Prisma added."""

    params: dict[str, str] = field(repr=False)
    prisma: dict[str, str] = field(default_factory=dict)
    is_url: bool = True


def is_url(text: str) -> bool:
    return text.strip().lower().startswith(URL_SCHEMES)


def check_userinfo(text: str, source: str) -> None:
    """Refuse a URL whose user name or password has a character that must be percent-encoded.

    Raises:
        ConfigError: an unencoded reserved character or a `%` that starts no escape; the
            message names the characters and their encoding, never the password.
    """
    userinfo = split_userinfo(text)
    if userinfo is None:
        return
    for part, value in (("password", userinfo.password), ("user name", userinfo.user)):
        if value is None:
            continue
        found = sorted({ch for ch in value if ch in _RESERVED}, key=list(_RESERVED).index)
        if _bad_percent(value):
            found.append("%")
        if found:
            encodings = ", ".join(f"{ch!r} as {_RESERVED.get(ch, '%25')}" for ch in found)
            raise ConfigError(
                f"the URL in {source} is malformed: its {part} has unencoded characters; "
                f"write {encodings}",
                hint=f"the {part} must be percent-encoded: python3 -c \"import urllib.parse, "
                "getpass; print(urllib.parse.quote(getpass.getpass(), safe=''))\"",
            )


def _bad_percent(value: str) -> bool:
    for index, ch in enumerate(value):
        if ch == "%" and not (len(value) >= index + 3 and value[index + 1] in _HEX
                              and value[index + 2] in _HEX):
            return True
    return False


def parse(text: str, source: str) -> ConnectionString:
    """Check and parse a URL or key=value connection string into libpq keywords.

    Raises:
        ConfigError: malformed, unencoded characters, or a form libpq refuses.
    """
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    text = text.strip()
    url = is_url(text)
    prisma: dict[str, str] = {}
    if url:
        check_userinfo(text, source)
        text, prisma = without_prisma_parameters(text)
        text = "postgresql://" + text.split("://", 1)[1]
    elif "=" not in text:
        raise malformed(source, "neither a postgresql:// URL nor key=value pairs")
    try:
        params = {k: str(v) for k, v in conninfo_to_dict(text).items() if v is not None}
    except psycopg.Error as exc:  # the message is redacted where it is shown, like every one
        raise malformed(source, str(exc).strip().splitlines()[0]) from None
    return ConnectionString(params, prisma, url)


def malformed(source: str, reason: str) -> ConfigError:
    return ConfigError(
        f"the URL in {source} is malformed ({reason})",
        hint="use postgresql://user:password@host:5432/database, with special characters of "
        "the password percent-encoded (@ as %40, / as %2F, # as %23, ? as %3F)",
    )


def without_prisma_parameters(url: str) -> tuple[str, dict[str, str]]:
    """Take Prisma's and Supabase's parameters out of the query, keeping the rest as written
    (re-encoding would turn a space into `+`, which libpq does not decode)."""
    base, question, query = url.partition("?")
    if not question:
        return url, {}
    kept, prisma = [], {}
    for piece in query.split("#", 1)[0].split("&"):
        name, _, value = piece.partition("=")
        if unquote(name) in DROPPED_PARAMETERS:
            prisma[unquote(name)] = unquote(value)
        elif piece:
            kept.append(piece)
    return base + ("?" + "&".join(kept) if kept else ""), prisma


def with_query(url: str, **values: str) -> str:
    """Return `url` with query parameters added (values percent-encoded, never `+`)."""
    extra = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in values.items())
    return url + ("&" if "?" in url else "?") + extra
