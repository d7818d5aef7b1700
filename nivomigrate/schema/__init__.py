"""The NivoStack schema as SQLAlchemy models: exactly the tables Prisma created.

`metadata` holds all 39 tables; importing this package imports every model module.
"""

from nivomigrate.schema import control, ingest, studio
from nivomigrate.schema.base import Base

metadata = Base.metadata

__all__ = ["Base", "control", "ingest", "metadata", "studio"]
