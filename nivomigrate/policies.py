"""Policy files (YAML in `policies/`): parsed with file and line in every error."""

from __future__ import annotations

from pathlib import Path

from nivomigrate.errors import ConfigError


def load_policy(path: Path, allowed_keys: set[str] | None = None) -> dict:
    """Read a YAML policy file into a dict; an absent file reads as empty.

    Raises:
        ConfigError: invalid YAML (with file and line), not a mapping, or an unknown top-level key.
    """
    import yaml

    if not path.is_file():
        return {}
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when installed
        document = yaml.load(path.read_text(), Loader=loader) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{path}{line}: {problem}", hint="fix the YAML syntax") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path}:1: expected a mapping at the top", hint="see docs/policies.md")
    if allowed_keys is not None:
        reject_unknown_keys(document, allowed_keys, str(path))
    return document


def reject_unknown_keys(table: dict, allowed: set[str], where: str) -> None:
    """Raise ConfigError naming the first key of `table` not in `allowed`."""
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r}",
            hint=f"allowed keys: {', '.join(sorted(allowed))}",
        )
