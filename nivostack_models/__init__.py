"""The NivoStack schema as SQLAlchemy models: exactly the tables Prisma created.

`metadata` holds all 39 tables; importing this package imports every model module. Its
imports are relative, so that a project copy of it loads under any name (`models = ...`).
The objects besides tables (views, functions, policies, grants, ...) are declared with
`register_entities` (see `nivomigrate.schema.objects`).
"""

from . import control, ingest, objects, studio
from .base import Base

metadata = Base.metadata

__all__ = ["Base", "control", "ingest", "metadata", "objects", "studio"]
