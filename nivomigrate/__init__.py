"""nivomigrate: staging-first migrations and schema promotion for PostgreSQL."""

__version__ = "0.1.0"
