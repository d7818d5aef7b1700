"""SQL read by a parser: statements split where PostgreSQL would, DDL classified from trees."""

from nivomigrate.checks.revision_sql import parse_changes
from nivomigrate.sql import conjuncts, is_volatile, parse, split, strip_enclosing_parens

FUNCTION = """CREATE FUNCTION touch() RETURNS trigger AS $$
BEGIN
  NEW."updatedAt" := now(); -- a ; inside the body
  RETURN NEW;
END; $$ LANGUAGE plpgsql;
-- a comment ; with a semicolon
ALTER TABLE "Log" ADD COLUMN "note" TEXT DEFAULT 'a;b';
"""


def test_semicolons_in_bodies_comments_and_strings_do_not_split():
    statements = split(FUNCTION)
    assert len(statements) == 2
    assert statements[0].sql.endswith("$$ LANGUAGE plpgsql")
    assert statements[1].sql.endswith("""TEXT DEFAULT 'a;b'""")
    assert (statements[0].first_line, statements[0].last_line) == (0, 4)
    assert statements[1].last_line == 6


def test_ddl_is_classified_from_the_tree_or_the_tokens():
    [index] = parse_changes('CREATE INDEX CONCURRENTLY "i" ON ONLY "public"."Log" ("x")')
    assert (index.kind, index.table, index.concurrently) == ("create_index", "Log", True)
    [validate] = parse_changes('ALTER TABLE "Log" VALIDATE CONSTRAINT "Log_x_check"')
    assert (validate.kind, validate.detail) == ("validate_constraint", "Log_x_check")
    not_null, retype = parse_changes(
        'ALTER TABLE ONLY "T" ALTER COLUMN "a" SET NOT NULL, ALTER COLUMN "b" TYPE smallint')
    assert (not_null.kind, not_null.column) == ("set_not_null", "a")
    assert (retype.kind, retype.detail) == ("alter_type", "SMALLINT")
    [column] = parse_changes('ALTER TABLE "T" ADD COLUMN "id2" UUID DEFAULT gen_random_uuid()')
    assert column.volatile_default
    [fk] = parse_changes('ALTER TABLE "T" ADD CONSTRAINT "fk" FOREIGN KEY ("p") '
                         'REFERENCES "P" ("id") NOT VALID')
    assert (fk.detail, fk.not_valid) == ("FOREIGN KEY", True)
    assert [c.table for c in parse_changes('DROP TABLE IF EXISTS "A", s."B" CASCADE')] == ["A", "B"]
    assert parse_changes("SELECT 1") == ()


def test_conjuncts_keep_nested_ands_and_between_together():
    assert conjuncts('((status = \'active\'::text) AND ("deviceId" IS NOT NULL))') == [
        "status = 'active'::text", '"deviceId" IS NOT NULL']
    assert conjuncts("(a AND b) OR c") == ["(a AND b) OR c"]
    assert conjuncts("x BETWEEN 1 AND 2 AND y") == ["x BETWEEN 1 AND 2", "y"]
    assert strip_enclosing_parens("((a) + (b))") == "(a) + (b)"


def test_volatile_defaults_are_recognised():
    volatile = parse("SELECT random(), clock_timestamp()").expressions
    assert all(is_volatile(e) for e in volatile)
    assert not is_volatile(parse("SELECT now()").expressions[0])
