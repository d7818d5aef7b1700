"""The NivoStack schema as SQLAlchemy models: exactly the tables Prisma created.

`metadata` holds all 39 tables; importing this package imports every model module. Its
imports are relative, so that a project copy of it loads under any name (`models = ...`).
"""

from . import control, ingest, studio
from .base import Base

metadata = Base.metadata

__all__ = ["Base", "control", "ingest", "metadata", "studio"]
