"""A throw-away project of another team: its own two-table models (`app/models.py`), one
revision, nivomigrate.toml naming both; not NivoStack's schema."""

from __future__ import annotations

from pathlib import Path

MODELS = '''from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table, Text

metadata = MetaData()
Table("author", metadata, Column("id", Integer, primary_key=True),
      Column("name", Text, nullable=False))
Table("book", metadata, Column("id", Integer, primary_key=True),
      Column("author_id", Integer, ForeignKey("author.id"), nullable=False))
'''

REVISION = '''"""author and book"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade():
    op.create_table("author", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("name", sa.Text, nullable=False))
    op.create_table("book", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("author_id", sa.Integer, sa.ForeignKey("author.id"),
                              nullable=False))


def downgrade():
    op.drop_table("book")
    op.drop_table("author")
'''

CONFIG = '''versions = "db/versions"
models = "app.models"

[environments.staging]
url_env = "STAGING_DATABASE_URL"

[environments.prod]
url_env = "PROD_DATABASE_URL"
promoted_from = "staging"
'''


def make_adopter_project(root: Path) -> Path:
    """Write the project into `root` (created) and return it."""
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "models.py").write_text(MODELS)
    (root / "db" / "versions").mkdir(parents=True)
    (root / "db" / "versions" / "0001_author_and_book.py").write_text(REVISION)
    (root / "policies").mkdir()
    (root / "nivomigrate.toml").write_text(CONFIG)
    return root
