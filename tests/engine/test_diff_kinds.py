"""The kinds table of the diff: every catalog kind has a scripter; schemas and extensions are
scripted from the two catalogs with every name and string quoted."""

from __future__ import annotations

from types import MappingProxyType

from nivomigrate.catalog import ROW_KINDS, Catalog, Row
from nivomigrate.engine import diff_kinds


def _catalog(**kinds: dict[str, dict]) -> Catalog:
    return Catalog(MappingProxyType({
        kind: MappingProxyType({name: Row(kind, name, MappingProxyType(attributes))
                                for name, attributes in rows.items()})
        for kind, rows in kinds.items()}))


def test_every_kind_the_catalog_reads_has_a_row_in_the_kinds_table():
    assert set(diff_kinds.SCRIPTS) == ROW_KINDS


def test_schemas_are_created_first_and_dropped_last_with_hostile_names_quoted():
    source = _catalog(schema={"public": {}, 'old"one': {}})
    target = _catalog(schema={"public": {}, "new; drop schema public; --": {}})
    placed = diff_kinds.script_schemas(source, target)
    assert placed.early == ('create schema if not exists "new; drop schema public; --";',)
    assert placed.late == ('drop schema if exists "old""one";',)


def test_extensions_are_created_moved_updated_and_dropped():
    source = _catalog(extension={"citext": {"schema": "public", "version": "1.5"},
                                 "gone": {"schema": "public", "version": "1"}})
    target = _catalog(extension={"citext": {"schema": "Ext's", "version": "1.6"},
                                 "pg_trgm": {"schema": "public", "version": "1.6"}})
    placed = diff_kinds.script(source, target)
    assert placed.early == (
        'alter extension "citext" set schema "Ext\'s";',
        "alter extension \"citext\" update to '1.6';",
        'create extension if not exists "pg_trgm" with schema "public" version \'1.6\';')
    assert placed.late == ('drop extension if exists "gone";',)


def test_equal_catalogs_script_nothing():
    same = _catalog(schema={"public": {}}, extension={"x": {"schema": "public", "version": "1"}})
    assert diff_kinds.script(same, same) == diff_kinds.Placed()


def test_policies_are_dropped_before_and_created_after_with_roles_quoted():
    policy = {"command": "r", "permissive": True, "roles": ["public"], "using": "true",
              "with_check": None}
    source = _catalog(policy={"public.doc.p": policy, "public.doc.gone": policy})
    target = _catalog(policy={"public.doc.p": {
        **policy, "command": "*", "permissive": False, "with_check": "(id > 0)",
        "roles": ['"evil""role"', "reader"]}})
    placed = diff_kinds.script(source, target)
    assert placed.drops == ('drop policy "gone" on "public"."doc";',
                            'drop policy "p" on "public"."doc";')
    assert placed.created == (
        'create policy "p" on "public"."doc" as restrictive for all to "evil""role", "reader" '
        "using (true) with check ((id > 0));",)


def test_a_trigger_whose_firing_alone_changes_is_altered_not_made_again():
    definition = "CREATE TRIGGER t BEFORE INSERT ON public.x FOR EACH ROW EXECUTE FUNCTION f()"
    source = _catalog(trigger={"public.x.t": {"definition": definition, "enabled": "D"}})
    target = _catalog(trigger={"public.x.t": {"definition": definition, "enabled": "O"}})
    placed = diff_kinds.script(source, target)
    assert placed.drops == ()
    assert placed.created == ('alter table "public"."x" enable trigger "t";',)
    # a table the rest of the script re-creates gets its triggers again
    again = diff_kinds.script(target, target, frozenset({("public", "x")}))
    assert again.created == (f"{definition};",)


def test_collations_are_created_first_dropped_last_and_a_changed_one_is_not_scripted():
    icu = {"provider": "i", "deterministic": False, "collate": None, "ctype": None,
           "icu_locale": "und-u-ks-level2"}
    source = _catalog(schema={"public": {}, "a.b": {}},
                      collation={"a.b.gone": {**icu}, "public.x": {**icu}})
    target = _catalog(schema={"public": {}, "a.b": {}}, collation={
        "a.b.new'one": {"provider": "c", "deterministic": True, "collate": "C", "ctype": "POSIX",
                        "icu_locale": None},
        "public.x": {**icu, "icu_locale": "de-DE"}})
    placed = diff_kinds.script(source, target)
    assert placed.early == (
        'create collation "a.b"."new\'one" (provider = libc, lc_collate = \'C\', '
        "lc_ctype = 'POSIX');",
        "-- not scripted: collation public.x differs (a collation cannot be altered: re-create "
        "it and the columns using it by hand)")
    assert placed.late == ('drop collation "a.b"."gone";',)


def test_enum_labels_are_added_in_place_and_a_reordered_enum_is_re_made_with_the_tables():
    source = _catalog(schema={"public": {}}, enum={
        "public.mood": {"labels": ["ok", "fine"]}, "public.order": {"labels": ["a", "b"]},
        "public.gone": {"labels": ["x"]}})
    target = _catalog(schema={"public": {}}, enum={
        "public.mood": {"labels": ["x'); DROP TABLE foo; --", "ok", "O'Brien", "fine"]},
        "public.order": {"labels": ["b", "a"]}, "public.new": {"labels": ["back\\slash"]}})
    placed = diff_kinds.script(source, target)
    assert placed.early == (
        """alter type "public"."mood" add value 'x''); DROP TABLE foo; --' before 'ok';""",
        """alter type "public"."mood" add value 'O''Brien' after 'ok';""",
        """create type "public"."new" as enum (E'back\\\\slash');""")
    assert placed.late == ('drop type "public"."gone";',)
    assert not diff_kinds.labels_added(["a", "b"], ["b", "a"])
    assert placed.tables == (  # renamed, made anew, (its columns re-typed,) the old one dropped
        'alter type "public"."order" rename to "order__old_version_to_be_dropped";',
        """create type "public"."order" as enum ('b', 'a');""",
        'drop type "public"."order__old_version_to_be_dropped";')


def test_a_renamed_serial_sequence_is_renamed_not_made_again():
    """Same owning column, options and schema: a RENAME, which keeps the current value; a
    sequence that only looks alike but is owned by another column is made again."""
    options = {"type": "integer", "increment": 1, "min": 1, "max": 2147483647, "start": 1,
               "cache": 1, "cycle": False}
    source = _catalog(schema={"public": {}}, sequence={
        "public.t_id_seq": {**options, "owned_by": "t.id"},
        "public.u_id_seq": {**options, "owned_by": "u.id"}})
    target = _catalog(schema={"public": {}}, sequence={
        'public.t "id" seq': {**options, "owned_by": "t.id"},
        "public.u_new_seq": {**options, "owned_by": "u.other"}})
    placed = diff_kinds.script_sequences(source, target)
    assert placed.early[0] == 'alter sequence "public"."t_id_seq" rename to "t ""id"" seq";'
    assert not any('"t ""id"" seq" as' in line for line in placed.early)  # not created
    assert any(line.startswith('create sequence "public"."u_new_seq"') for line in placed.early)
    assert placed.late == ('drop sequence if exists "public"."u_id_seq";',)
