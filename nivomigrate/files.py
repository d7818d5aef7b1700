"""Text files a user writes (nivomigrate.toml, policies, env files, reports), read as UTF-8: a
byte that is not UTF-8 is a ConfigError naming the file, the line and the byte."""

from __future__ import annotations

from pathlib import Path

from nivomigrate.errors import ConfigError


def read_text(path: Path, hint: str = "save the file as UTF-8") -> str:
    """Return the text of `path`.

    Raises:
        ConfigError: the file cannot be read, or is not UTF-8.
        FileNotFoundError: it does not exist (callers say what that means).
    """
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x})",
                          hint=hint) from None
