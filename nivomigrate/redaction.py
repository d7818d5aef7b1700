"""Secrets hidden in every text that leaves the process.

A registry of known secrets (the passwords of every URL nivomigrate was given or found in the
environment and env files, and the values of secret-named variables) and `redact`, which every
printer, renderer, the step summary and the ledger pass their text through. A secret is found in
any of the encodings it may take on its way out: raw, percent-encoded (any case, fully or in
part), `+` for a space, backslash- or JSON-escaped (`\\u20ac` for `€`); and transformed, as a
check may print it: in any letter case, and any piece of 6 characters or more of it (the
password less a character, `upper(password)`, spaces made `_`). The pieces are found by plain
substring search in a lower-cased copy of the text whose separators (space, `_`, `-`, `+`, `.`)
are all made one (same length, so the spans map back), and the spans merged: linear in the
text for each piece, fast on large reports. A piece found in the user name of the secret's URL,
or in a word of the messages themselves ("password"), is left alone: the secret's other pieces
still hide it.

Written by hand: no library redacts a set of secrets in all their encodings; the URL forms are
hidden by pattern as a second line of defence for URLs never registered.
"""

from __future__ import annotations

import re

MIN_SECRET_LENGTH = 3
# Any piece of a secret this long (or the whole of a shorter one) is hidden.
PIECE_LENGTH = 6
MASK = "***"
# Lower-case, and every separator one space: `Pass_Word` and `pass word` are one text.
_FOLD = str.maketrans({ch: " " for ch in "_-+.\t\n\r\x0b\x0c"})
# Environment variables whose value is itself a secret (beside the passwords in URLs).
_SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|PRIVATE_KEY", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][\w+.-]*://[^:/?#@\s]*:)[^\s]*@")
_KEYWORD_PASSWORD = re.compile(r"""(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|"[^"]*"|[^\s&]+)""",
                               re.IGNORECASE)

_secrets: set[str] = set()
_users: set[str] = set()  # folded user names of the remembered URLs: their pieces are no secret
# Words of nivomigrate's and PostgreSQL's own messages: a piece of a secret inside one of them
# ("passwo" of "Password123") would mask the message ("password authentication failed"), and
# the secret's other pieces are hidden anyway.
_MESSAGE_WORDS = ("password", "postgresql", "authentication", "connection", "database",
                  "localhost", "staging", "production", "revision", "migration", "superuser")
_pattern: re.Pattern | None = None
_pieces: tuple[str, ...] | None = None


def remember(secret: str | None) -> None:
    """Add `secret` to the registry; shorter than 3 characters it is not worth hiding."""
    global _pattern, _pieces
    if secret and len(secret) >= MIN_SECRET_LENGTH and secret not in _secrets:
        _secrets.add(secret)
        _pattern = _pieces = None


def remember_url(url: str | None) -> None:
    """Remember the password of a URL or key=value connection string (raw and decoded)."""
    from urllib.parse import unquote

    if not url:
        return
    user = _user_of(url)
    if user and _fold(user) not in _users:
        global _pieces
        _users.add(_fold(user))
        _pieces = None
    for password in _passwords_in(url):
        if password != user:  # postgres:postgres hides nothing and would mask every "postgres"
            remember(password)
            remember(unquote(password))


def remember_environment(values: dict[str, str], *, secret_names: bool = False) -> None:
    """Remember the passwords of the URLs in an environment; with `secret_names` (an env
    file), also the values of variables named like secrets (`*_PASSWORD`, `*_TOKEN`, ...)
    that are not mere flags (`SOME_SECRETS=false` must not hide every "false")."""
    for name, value in values.items():
        if not value:
            continue
        if "://" in value or "password" in value.lower():
            remember_url(value)
        elif secret_names and _SECRET_NAME.search(name) and _is_secret_like(value):
            remember(value)


def _is_secret_like(value: str) -> bool:
    return len(value) >= 6 and value.lower() not in {"true", "false", "enabled", "disabled"}


def redact(text: str) -> str:
    """Return `text` with every known secret, in any encoding, and every URL password hidden."""
    if not text:
        return text
    text = _URL_PASSWORD.sub(rf"\1{MASK}@", text)
    if _secrets:
        spans = _piece_spans(text)
        spans += [match.span() for match in _secrets_pattern().finditer(text)]
        text = _masked(text, spans)
    return _KEYWORD_PASSWORD.sub(rf"\1{MASK}", text)


def _secrets_pattern() -> re.Pattern:
    """The whole secrets in every encoding, in any letter case."""
    global _pattern
    if _pattern is None:
        ordered = sorted(_secrets, key=len, reverse=True)
        _pattern = re.compile("|".join("".join(_char(ch) for ch in s) for s in ordered),
                              re.IGNORECASE)
    return _pattern


def _fold(text: str) -> str:
    """Return `text` lower-cased with its separators made one, of the same length."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a letter whose lower case is longer (U+0130)
        lowered = "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)
    return lowered.translate(_FOLD)


def _secret_pieces() -> tuple[str, ...]:
    """Every folded piece of PIECE_LENGTH characters of every secret (a shorter secret whole),
    less those found in a remembered user name or made of separators only."""
    global _pieces
    if _pieces is None:
        pieces = set()
        for secret in _secrets:
            folded = _fold(secret)
            size = min(PIECE_LENGTH, len(folded))
            pieces |= {folded[i:i + size] for i in range(len(folded) - size + 1)}
        _pieces = tuple(sorted(piece for piece in pieces if piece.strip()
                               and not any(piece in word for word in (*_users, *_MESSAGE_WORDS))))
    return _pieces


def _piece_spans(text: str) -> list[tuple[int, int]]:
    """Return where a piece of a secret shows in `text` (start, end)."""
    folded, spans = _fold(text), []
    for piece in _secret_pieces():
        start = folded.find(piece)
        while start != -1:
            spans.append((start, start + len(piece)))
            start = folded.find(piece, start + 1)
    return spans


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    """Return `text` with each run of overlapping `spans` replaced by one MASK."""
    if not spans:
        return text
    parts, shown_from, run_start, run_end = [], 0, None, -1
    for start, end in sorted(spans):
        if run_start is not None and start < run_end:
            run_end = max(run_end, end)
            continue
        if run_start is not None:
            parts += [text[shown_from:run_start], MASK]
            shown_from = run_end
        run_start, run_end = start, end
    parts += [text[shown_from:run_start], MASK, text[run_end:]]
    return "".join(parts)


def _char(ch: str) -> str:
    """A pattern for one character of a secret in any of its encodings."""
    alternatives = [re.escape(ch), re.escape("\\" + ch)]
    encoded = ch.encode("utf-8")
    alternatives.append("(?i:" + "".join(f"%{byte:02x}" for byte in encoded) + ")")
    if len(encoded) > 1 or ch in "\"\\/":
        alternatives.append("(?i:" + re.escape(f"\\u{ord(ch):04x}") + ")")
        alternatives.append("(?i:" + "".join(re.escape(f"\\x{b:02x}") for b in encoded) + ")")
    if ch == " ":
        alternatives.append(r"\+")
    return "(?:" + "|".join(alternatives) + ")"


def _passwords_in(url: str) -> list[str]:
    """The password of the user-info part, and any `password=` parameter or keyword."""
    from nivomigrate.userinfo import split_userinfo

    found = []
    userinfo = split_userinfo(url)
    if userinfo is not None and userinfo.password is not None:
        found.append(userinfo.password)
    for match in _KEYWORD_PASSWORD.finditer(url):
        found.append(match.group(2).strip("'\""))
    return found


def _user_of(url: str) -> str | None:
    from nivomigrate.userinfo import split_userinfo

    userinfo = split_userinfo(url)
    return userinfo.user if userinfo is not None else None
