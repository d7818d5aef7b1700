"""The platform's part of a database: kept importable here for the modules that name it.

The rule and its reader live in the catalog floor (`nivomigrate/catalog/platform.py`).
"""

from nivomigrate.catalog.platform import (
    API_ROLES,
    PLATFORM_ROLES,
    PLATFORM_SCHEMAS,
    Platform,
    parameters,
    read_platform,
)

__all__ = ["API_ROLES", "PLATFORM_ROLES", "PLATFORM_SCHEMAS", "Platform", "parameters",
           "read_platform"]
