"""The NivoStack schema as SQLAlchemy models: exactly the tables Prisma created.

`metadata` holds all 39 tables; importing this package imports every model module. The
objects besides tables (views, functions, policies, grants, ...) are declared with
`register_entities` (see `nivomigrate.schema.objects`).
"""

from nivomigrate.schema import control, ingest, objects, studio
from nivomigrate.schema.base import Base

metadata = Base.metadata

__all__ = ["Base", "control", "ingest", "metadata", "objects", "studio"]
