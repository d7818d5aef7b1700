"""Validate a JSON report against docs/json-report.schema.json (the `jsonschema` package)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

SCHEMA = Path(__file__).resolve().parents[1] / "docs" / "json-report.schema.json"


@cache
def _validator():
    from jsonschema import Draft202012Validator

    schema = json.loads(SCHEMA.read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_errors(document: dict | str) -> list[str]:
    """Return what is wrong with `document` (a report as JSON text or parsed), [] when valid."""
    if isinstance(document, str):
        document = json.loads(document)
    return [f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message[:300]}"
            for error in _validator().iter_errors(document)]
