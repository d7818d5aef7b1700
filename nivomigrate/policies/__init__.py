"""Policy files (YAML in `policies/`), parsed with file and line in every error:
`promotion.yaml` (`promotion`), `hot_queries.yaml` (`hot_queries`), `services.yaml`
(`services`)."""

from __future__ import annotations

import copy
from pathlib import Path

from nivomigrate.errors import ConfigError

# A command's checks read the same policy files several times (about 9 reads a command): each
# text is parsed once per process (under the text itself); callers get a copy.
_parsed: dict[str, dict] = {}


def load_policy(path: Path, allowed_keys: set[str] | None = None) -> dict:
    """Read a YAML policy file into a dict; an absent file reads as empty.

    Raises:
        ConfigError: invalid YAML (with file and line), not a mapping, or an unknown top-level key.
    """
    from nivomigrate.files import read_text

    if not path.is_file():
        return {}
    text = read_text(path)
    if text in _parsed:
        document = copy.deepcopy(_parsed[text])
    else:
        document = _parse(path, text)
        if isinstance(document, dict):
            _parsed[text] = copy.deepcopy(document)
    if not isinstance(document, dict):
        raise ConfigError(f"{path}:1: expected a mapping at the top", hint="see docs/policies.md")
    if allowed_keys is not None:
        reject_unknown_keys(document, allowed_keys, str(path))
    return document


def _parse(path: Path, text: str) -> object:
    """Return the YAML document `text` of `path` ({} when empty).

    Raises:
        ConfigError: invalid YAML (with file and line).
    """
    import yaml

    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when installed
        return yaml.load(text, Loader=loader) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{path}{line}: {problem}", hint="fix the YAML syntax") from None


def reject_unknown_keys(table: dict, allowed: set[str], where: str) -> None:
    """Raise ConfigError naming the first key of `table` not in `allowed`."""
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r}",
            hint=f"allowed keys: {', '.join(sorted(allowed))}",
        )


def validate_policies(policies_dir: Path) -> None:
    """Read every policy file, so that a broken one stops a run before it changes anything.

    Raises:
        ConfigError: invalid YAML, an unknown key or a value of the wrong type.
    """
    from nivomigrate.policies.hot_queries import HOT_QUERIES_FILE, load_hot_queries
    from nivomigrate.policies.promotion import load_promotion_policy
    from nivomigrate.policies.services import load_service_map

    load_promotion_policy(policies_dir)
    load_hot_queries(policies_dir / HOT_QUERIES_FILE)
    load_service_map(policies_dir)
