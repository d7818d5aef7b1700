"""The user-info part of a connection URL (`user:password@`), read before anything parses
the URL, so that an unencoded `@ / # ?` in a password is found, not misread (urls.py checks
it, redaction.py hides it)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class UserInfo:
    user: str | None
    password: str | None = field(repr=False)
    end: int  # index of the '@' that ends the user-info part, in the text after "://"


def split_userinfo(text: str) -> UserInfo | None:
    """Split the user-info part off a URL, tolerating unencoded characters in the password.

    The user-info part ends at the last `@` that is not inside the query string; `None` when
    the text is not a URL or has no user-info part.
    """
    if "://" not in text:
        return None
    rest = text.split("://", 1)[1]
    positions = [i for i, ch in enumerate(rest) if ch == "@"]
    for end in reversed(positions):
        if not _in_query(rest, end):
            user, _, password = rest[:end].partition(":")
            return UserInfo(user or None, password if ":" in rest[:end] else None, end)
    return None


def _in_query(rest: str, at: int) -> bool:
    """Tell whether the `@` at `at` is a query value: an earlier `@`, then `?`, then `=`."""
    first = rest.find("@")
    if first == -1 or first >= at:
        return False
    question = rest.find("?", first, at)
    return question != -1 and "=" in rest[question:at]
