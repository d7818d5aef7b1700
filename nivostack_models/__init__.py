"""The NivoStack schema as SQLAlchemy models: exactly the tables Prisma created.

This is the repository's own models package (`models = "nivostack_models"` in nivomigrate.toml),
beside `versions/`; it is not part of the nivomigrate package. `metadata` holds all 39 tables;
importing this package imports every model module. Its imports are relative, so that a project
copy of it loads under any name. The objects besides tables (views, functions, policies, grants,
...) are declared with `register_entities` (see `nivomigrate.schema.objects`).
"""

from . import control, ingest, studio
from .base import Base

metadata = Base.metadata

__all__ = ["Base", "control", "ingest", "metadata", "studio"]
