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

[environments.prod]
promoted_from = "staging"
'''


PROMOTION = """# Plain CREATE INDEX locks the table against writes: blocked.
squawk_default: warn
squawk:
  require-concurrent-index-creation: block
"""

#: A pull request's change: an index on book, in the models and in a revision that builds it
#: without CONCURRENTLY (line 9), which the project's promotion policy blocks.
BLOCKED_REVISION = '''"""index book by author"""
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade():
    op.execute("CREATE INDEX book_author_idx ON book (author_id)")


def downgrade():
    op.execute("DROP INDEX book_author_idx")
'''
BLOCKED_MODELS = MODELS.replace(
    'ForeignKey("author.id"), nullable=False))\n',
    'ForeignKey("author.id"), nullable=False),\n      Index("book_author_idx", "author_id"))\n',
).replace("MetaData, Table", "Index, MetaData, Table")


def make_adopter_project(root: Path) -> Path:
    """Write the project into `root` (created) and return it."""
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "models.py").write_text(MODELS)
    (root / "db" / "versions").mkdir(parents=True)
    (root / "db" / "versions" / "0001_author_and_book.py").write_text(REVISION)
    (root / "policies").mkdir()
    (root / "policies" / "promotion.yaml").write_text(PROMOTION)
    (root / "nivomigrate.toml").write_text(CONFIG)
    return root
