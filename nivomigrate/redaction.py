"""Secrets hidden in every text that leaves the process.

A registry of known secrets (the passwords of every URL nivomigrate was given or found in the
environment and env files, and the values of secret-named variables) and `redact`, which every
printer, renderer, the step summary and the ledger pass their text through. A secret is found in
any of the encodings it may take on its way out: raw, percent-encoded (any case, fully or in
part), `+` for a space, backslash- or JSON-escaped (`\\u20ac` for `€`).

Written by hand: no library redacts a set of secrets in all their encodings; the URL forms are
hidden by pattern as a second line of defence for URLs never registered.
"""

from __future__ import annotations

import re

MIN_SECRET_LENGTH = 3
MASK = "***"
# Environment variables whose value is itself a secret (beside the passwords in URLs).
_SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|PRIVATE_KEY", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][\w+.-]*://[^:/?#@\s]*:)[^\s]*@")
_KEYWORD_PASSWORD = re.compile(r"""(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|"[^"]*"|[^\s&]+)""",
                               re.IGNORECASE)

_secrets: set[str] = set()
_pattern: re.Pattern | None = None


def remember(secret: str | None) -> None:
    """Add `secret` to the registry; shorter than 3 characters it is not worth hiding."""
    global _pattern
    if secret and len(secret) >= MIN_SECRET_LENGTH and secret not in _secrets:
        _secrets.add(secret)
        _pattern = None


def remember_url(url: str | None) -> None:
    """Remember the password of a URL or key=value connection string (raw and decoded)."""
    from urllib.parse import unquote

    if not url:
        return
    for password in _passwords_in(url):
        user = _user_of(url)
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
    pattern = _secrets_pattern()
    if pattern is not None:
        text = pattern.sub(MASK, text)
    return _KEYWORD_PASSWORD.sub(rf"\1{MASK}", text)


def _secrets_pattern() -> re.Pattern | None:
    global _pattern
    if _pattern is None and _secrets:
        ordered = sorted(_secrets, key=len, reverse=True)
        _pattern = re.compile("|".join("".join(_char(ch) for ch in s) for s in ordered))
    return _pattern


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
