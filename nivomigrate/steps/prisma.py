"""prisma check / write, and the merge gate's Prisma findings: schema.prisma kept at head."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nivomigrate import migrations, shadow
from nivomigrate.errors import ConfigError

if TYPE_CHECKING:
    from nivomigrate.config import Settings
    from nivomigrate.findings import Finding, Report
    from nivomigrate.prisma.compare import PrismaComparison


@dataclass(frozen=True)
class PrismaState:
    """schema.prisma compared with the schema at `revision`."""

    path: Path
    revision: str | None
    comparison: PrismaComparison


def schema_path(settings: Settings, path: Path | None) -> Path:
    """Return the schema.prisma to use: `path`, else the configured `prisma_schema`.

    Raises:
        ConfigError: none given or configured, or the file does not exist.
    """
    chosen = path or settings.prisma_schema
    if chosen is None:
        raise ConfigError("no Prisma schema given",
                          hint='pass its path, or set prisma_schema = "..." in nivomigrate.toml')
    if not chosen.is_file():
        raise ConfigError(f"{chosen} does not exist", hint="check the path of schema.prisma")
    return chosen


def compare_prisma(settings: Settings, path: Path, revision: str | None = None,
                   server: shadow.LocalServer | None = None) -> PrismaState:
    """Compare the schema Prisma makes from `path` with the one at `revision` (head)."""
    from nivomigrate.engine.build import shadow_server, snapshot_at
    from nivomigrate.prisma.compare import compare_with_head
    from nivomigrate.prisma.schema import read_schema

    server = server or shadow_server(settings)
    revision = revision or migrations.head(settings.versions_dir)
    prisma_snapshot = snapshot_of_prisma(settings, path, server)
    head_snapshot = snapshot_at(settings, revision, server)
    comparison = compare_with_head(head_snapshot, prisma_snapshot, read_schema(path.read_text()))
    return PrismaState(path, revision, comparison)


def _cli(settings: Settings, server: shadow.LocalServer):
    """The Prisma CLI of the project, its adapter on `server`, its answers kept in the cache
    folder (`<cache_dir>/prisma`: nivomigrate.prisma.render)."""
    from nivomigrate.prisma.render import find_cli

    return find_cli(settings.root, server.admin_url, settings.command_environ,
                    cache_dir=settings.shadow_cache_dir / "prisma"
                    if settings.shadow_cache_dir else None)


def snapshot_of_prisma(settings: Settings, path: Path, server: shadow.LocalServer):
    """Return the snapshot of Prisma's DDL for `path`, loaded into a scratch database; kept in
    the cache folder (`nivomigrate.cache`) under the DDL and the server's version and role.

    Raises:
        ConfigError: the DDL fails in PostgreSQL (an extension or type the server lacks).
    """
    from nivomigrate import cache
    from nivomigrate.prisma.render import render_ddl
    from nivomigrate.snapshot import Snapshot

    ddl = render_ddl(_cli(settings, server), path)
    folder = settings.shadow_cache_dir / "prisma" if settings.shadow_cache_dir else None
    question = ["prisma snapshot", shadow.server_version(server.admin_url),
                shadow.login_role(server.admin_url), ddl]
    data = cache.kept(folder, question)
    if isinstance(data, dict):
        return Snapshot.from_json(data)
    snapshot = _snapshot_of_ddl(ddl, path, server)
    cache.keep(folder, question, snapshot.to_json())
    return snapshot


def _snapshot_of_ddl(ddl: str, path: Path, server: shadow.LocalServer):
    import psycopg

    from nivomigrate.db import Target, connection, redact
    from nivomigrate.snapshot import take_snapshot

    with shadow.scratch_database(server.admin_url, prefix="nivo_prisma") as url:
        with shadow.admin_connection(url) as conn:
            try:
                conn.execute(ddl)
            except psycopg.Error as exc:
                reason = redact(str(exc).strip().splitlines()[0])
                raise ConfigError(f"Prisma's DDL of {path} fails in the shadow database: "
                                  f"{reason}", hint="make schema.prisma valid for the "
                                  "database (an extension it needs?)") from None
        with connection(Target("prisma", url, "the shadow server"), writes=False) as conn:
            return take_snapshot(conn)


CHECK = "prisma-schema"
WRITE_FIX = "nivomigrate prisma write"
REVISION_FIX = "nivomigrate revision --from-prisma"


def check_prisma(settings: Settings, path: Path | None) -> Report:
    """Return the report of `prisma check`: blocked (exit 1) when schema.prisma and head
    differ in what Prisma can express, one finding per model; what it cannot is listed,
    never blocking. Each finding says which side moved, as the merge gate does: a change
    schema.prisma made is fixed by `revision --from-prisma`, not by undoing it."""
    from nivomigrate.engine.build import shadow_server

    path = schema_path(settings, path)
    server = shadow_server(settings)
    state = compare_prisma(settings, path, server=server)
    if state.comparison.in_step:
        return _report("check", state, [])
    return _report("check", state, _grouped(state, _directed_items(settings, path, state,
                                                                   server)))


def _fix(settings: Settings, path: Path, change) -> str:
    if change.writable:
        return f"run `{_command(settings, path, WRITE_FIX)}` (it rewrites the fields and the " \
            "index, unique and relation attributes)"
    return f"edit schema.prisma by hand: {change.text()}"


def _command(settings: Settings, path: Path, command: str) -> str:
    """The command, with the schema's path unless it is the configured one."""
    configured = settings.prisma_schema
    same = configured is not None and configured.resolve() == path.resolve()
    return command if same else f"{command} {path}"


def _grouped(state: PrismaState, items: list[tuple]) -> list[Finding]:
    """One finding per model, headline and fix, its changes listed in the message."""
    from nivomigrate.findings import Finding, Location, Severity

    groups: dict[tuple[str, str, str], list] = {}
    for change, headline, fix in items:
        groups.setdefault((change.model, headline, fix), []).append(change)
    findings = []
    for (model, headline, fix), changes in sorted(groups.items()):
        said = sorted(f"{change.action} {change.attribute}" for change in changes)
        findings.append(Finding(
            check=CHECK, severity=Severity.ERROR,
            message=f"{headline}: model {model}: " + "; ".join(said),
            location=Location(file=str(state.path), line=_line_of(state, model),
                              object=model),
            help=fix))
    return findings


def _line_of(state: PrismaState, name: str) -> int | None:
    from nivomigrate.prisma.schema import read_schema

    model = read_schema(state.path.read_text()).model(name)
    return model.start + 1 if model else None


def _report(command: str, state: PrismaState, findings: list, extra_sections=(),
            written: bool = False) -> Report:
    from nivomigrate.findings import Report, Section

    comparison = state.comparison
    left_out = tuple((item.key.split(" ", 1)[1], item.key.split(" ", 1)[0] + ": " + item.what)
                     for item in comparison.unexpressible)
    sections = list(extra_sections)
    if left_out:
        sections.append(Section(
            "What schema.prisma cannot declare: `db push` would drop or ignore this",
            ("object", "what"), left_out))
    changes = comparison.changes
    title = (f"{state.path} and revision {state.revision}: "
             + ("in step" if not changes else f"{len(changes)} differences"))
    if written:
        title = (f"{state.path}: wrote {sum(c.writable for c in changes)} attribute changes; "
                 + (f"now in step with revision {state.revision}" if not findings else
                    "what is left needs a hand edit"))
    return Report(command=f"prisma {command}", title=title, findings=tuple(findings),
                  sections=tuple(sections), data={
                      "schema": str(state.path), "revision": state.revision,
                      "written": written,
                      "changes": [{"model": c.model, "action": c.action, "target": c.target,
                                   "attribute": c.attribute, "object": c.key,
                                   "writable": c.writable} for c in changes],
                      "cannot_express": [{"object": i.key, "what": i.what}
                                         for i in comparison.unexpressible]})


def write_prisma(settings: Settings, path: Path | None) -> Report:
    """Rewrite schema.prisma's scalar fields and index, unique and relation attributes to
    head's, in place.

    The result is checked with `prisma validate` before the file is replaced; the report
    shows the change as a unified diff and lists what only a hand edit can fix (exit 1).

    Raises:
        ConfigError: the rewritten schema does not validate (the file is left as it was).
    """
    import tempfile

    from nivomigrate.engine.build import shadow_server
    from nivomigrate.findings import Section
    from nivomigrate.prisma.render import validate
    from nivomigrate.prisma.schema import read_schema
    from nivomigrate.prisma.write import apply_changes

    path = schema_path(settings, path)
    server = shadow_server(settings)
    state = compare_prisma(settings, path, server=server)
    old = path.read_text()
    new = apply_changes(read_schema(old), state.comparison.changes)
    if new != old:
        with tempfile.TemporaryDirectory(prefix="nivo-prisma-write-") as folder:
            candidate = Path(folder) / path.name
            candidate.write_text(new)
            validate(_cli(settings, server),
                     candidate)
        path.write_text(new)
    diff = unified_diff(old, new, path.name)
    left = _grouped(state, [(change, f"schema.prisma is not at revision {state.revision}",
                              _fix(settings, path, change))
                             for change in state.comparison.changes if not change.writable])
    sections = [Section(f"Change written to {path}", text=diff, language="diff")] if diff \
        else []
    return _report("write", state, left, sections, written=bool(diff))


def unified_diff(old: str, new: str, name: str) -> str:
    """Return the unified diff of two texts, 3 lines of context.

    difflib.unified_diff's matcher treats lines as common as `}` as junk and then shows a
    model's closing brace as removed and added; this one matches every line."""
    from difflib import SequenceMatcher

    before, after = old.splitlines(True), new.splitlines(True)
    if before == after:
        return ""
    out = [f"--- a/{name}\n", f"+++ b/{name}\n"]
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    for group in matcher.get_grouped_opcodes(3):
        first, last = group[0], group[-1]
        out.append(f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n")
        for tag, i1, i2, j1, j2 in group:
            out += [" " + line for line in before[i1:i2]] if tag == "equal" else []
            out += ["-" + line for line in before[i1:i2]] if tag in {"replace", "delete"} else []
            out += ["+" + line for line in after[j1:j2]] if tag in {"replace", "insert"} else []
    return "".join(line if line.endswith("\n") else line + "\n" for line in out)


def _range(start: int, stop: int) -> str:
    length = stop - start
    return f"{start + 1},{length}" if length else f"{start},0"


def prisma_findings(settings: Settings, server: shadow.LocalServer | None = None
                    ) -> list[Finding]:
    """Return the merge gate's findings when `prisma_schema` is configured (else none).

    Each difference says which side moved: when schema.prisma declares what one of head's
    last ancestors had (`ANCESTORS_CHECKED`), the revisions moved on and `prisma write`
    follows; otherwise schema.prisma changed and `revision --from-prisma` follows.
    """
    from nivomigrate.engine.build import shadow_server

    if settings.prisma_schema is None:
        return []
    server = server or shadow_server(settings)
    state = compare_prisma(settings, schema_path(settings, None), server=server)
    if state.comparison.in_step:
        return []
    return _grouped(state, _directed_items(settings, schema_path(settings, None), state,
                                           server))


def _directed_items(settings: Settings, path: Path, state: PrismaState,
                    server: shadow.LocalServer) -> list[tuple]:
    """(change, headline, fix) of each difference, by the side that moved: schema.prisma
    behind the revisions (`prisma write` follows) or ahead of them (`revision --from-prisma`
    follows)."""
    behind = _behind(settings, state, server)
    items = []
    for change in state.comparison.changes:
        if change.key in behind:
            fix = f"run `{_command(settings, path, WRITE_FIX)}` and commit schema.prisma" \
                if change.writable else f"edit schema.prisma: {change.text()}"
            items.append((change, f"schema.prisma is behind revision {state.revision}",
                          fix + " (or, if schema.prisma is right: "
                          f"`{_command(settings, path, REVISION_FIX)}`)"))
        else:
            fix = f"run `{_command(settings, path, REVISION_FIX)}` and commit the new " \
                "revision and the models"
            items.append((_opposite_change(change), "schema.prisma changed without a revision "
                          f"(revision {state.revision} does not have it)", fix))
    return items


ANCESTORS_CHECKED = 5


def _behind(settings: Settings, state: PrismaState, server: shadow.LocalServer) -> set[str]:
    """Return the keys where schema.prisma declares what an ancestor of head had."""
    from nivomigrate.engine.build import snapshot_at
    from nivomigrate.prisma.compare import expressible_objects

    chain = migrations.revisions(settings.versions_dir)
    ids = [revision.id for revision in chain]
    position = ids.index(state.revision) if state.revision in ids else 0
    ancestors = list(reversed(ids[max(0, position - ANCESTORS_CHECKED):position]))
    open_keys = {change.key for change in state.comparison.changes}
    behind = set() if ancestors else set(open_keys)
    for ancestor in ancestors:
        objects = expressible_objects(snapshot_at(settings, ancestor, server).objects)[0]
        behind |= {key for key in open_keys
                   if state.comparison.prisma_objects.get(key) == objects.get(key)}
        open_keys -= behind
        if not open_keys:
            break
    return behind


@dataclass(frozen=True)
class PrismaRevision:
    """The revision written from schema.prisma, what still differs after it, and the models
    written to follow it."""

    path: Path
    old_datamodel: str
    remaining: tuple
    models: object = None  # engine.model_writer.ModelsWritten


def revision_from_prisma(settings: Settings, path: Path | None, message: str | None
                         ) -> PrismaRevision:
    """Write the next revision from Prisma's diff of head's datamodel to schema.prisma, then
    bring the models in step with the new head.

    Head's datamodel is schema.prisma with head's fields and attributes written back (what
    `prisma write` makes of it) when it can write them all; otherwise the newest committed
    schema.prisma that is at head. `@map`/`@@map` changes are renames (written when no service
    uses the old name, refused otherwise); Prisma's SQL is rendered with the online helpers
    (nivomigrate.prisma.revision); the new revision is checked against schema.prisma.

    Raises:
        ConfigError: schema.prisma already agrees with head; no datamodel of head is found
            (commit schema.prisma at head first); or a required field without a default is
            added to an existing model (the expand/backfill/contract steps are named); or a
            `@map`/`@@map` rename of what a service uses. Nothing is written then.
    """
    import tempfile

    from nivomigrate.engine.build import shadow_server
    from nivomigrate.engine.model_writer import write_models
    from nivomigrate.migrations import next_revision_id
    from nivomigrate.policies.services import rename_owner
    from nivomigrate.prisma.renames import find_renames
    from nivomigrate.prisma.render import diff_datamodels
    from nivomigrate.prisma.revision import revision_text

    path = schema_path(settings, path)
    server = shadow_server(settings)
    state = compare_prisma(settings, path, server=server)
    if not state.comparison.changes:
        raise ConfigError(f"schema.prisma and revision {state.revision} already agree",
                          hint="change schema.prisma first, or write a revision with "
                          "nivomigrate revision -m ...")
    cli = _cli(settings, server)
    old_text, source = _head_datamodel(settings, path, state, server)
    renames = find_renames(old_text, path.read_text())
    waivers = _rename_waivers(settings, renames)
    _refuse_unsafe(renames.renamed_text, path.read_text())
    with tempfile.TemporaryDirectory(prefix="nivo-prisma-head-") as folder:
        head_schema = Path(folder) / "head.prisma"
        head_schema.write_text(renames.renamed_text)
        upgrade_sql = _script(renames.upgrade) + diff_datamodels(cli, head_schema, path)
        downgrade_sql = diff_datamodels(cli, path, head_schema) + _script(renames.downgrade)
    revision_id = next_revision_id(settings.versions_dir)
    message = message or "Follow schema.prisma: " + "; ".join(
        _opposite(change) for change in state.comparison.changes[:3])
    provenance = (f"  old datamodel: {source}\n  new datamodel: {path.name} as it was.")
    target = settings.versions_dir / f"{revision_id}_{_slug(message)}.py"
    target.write_text(revision_text(revision_id, state.revision, message, provenance,
                                    upgrade_sql, downgrade_sql, waivers))
    for old_table, new_table in renames.tables:  # a renamed table keeps its owner
        rename_owner(settings.policies_dir, old_table, new_table)
    from nivomigrate.engine.phases import declare_phase

    declare_phase(settings, target)
    after = compare_prisma(settings, path, revision_id, server)
    return PrismaRevision(target, source, after.comparison.changes,
                          write_models(settings, *_model_hints(path)))


def _script(statements: tuple[str, ...]) -> str:
    """Statements as Prisma prints them: one per line, each ending with `;`."""
    return "".join(f"{statement};\n" for statement in statements)


def _model_hints(path: Path) -> tuple[dict[str, str], dict[str, list[str]],
                                      dict[str, dict[str, str]]]:
    """Prisma's model names, field orders and field names by table, for the classes of new
    tables and the attributes of new columns."""
    from nivomigrate.prisma.schema import read_schema

    models = read_schema(path.read_text()).models
    return ({model.table: model.name for model in models},
            {model.table: [f.column for f in model.fields if f.column] for model in models},
            {model.table: {f.column: f.name for f in model.fields if f.column}
             for model in models})


def _head_datamodel(settings: Settings, path: Path, state: PrismaState,
                    server: shadow.LocalServer) -> tuple[str, str]:
    """Return schema.prisma as it is at head, and where it came from.

    Raises:
        ConfigError: neither `prisma write`'s rendering nor a committed version is at head.
    """
    from nivomigrate.prisma.history import committed_texts
    from nivomigrate.prisma.schema import read_schema
    from nivomigrate.prisma.write import apply_changes

    text = path.read_text()
    if all(change.writable for change in state.comparison.changes):
        return (apply_changes(read_schema(text), state.comparison.changes),
                f"{path.name} with the index, unique and relation attributes of revision "
                f"{state.revision}\n  (what `nivomigrate prisma write` renders of head);")
    for number, committed in enumerate(committed_texts(path)):
        if committed != text and _at_head(settings, committed, state, server):
            return committed, f"{path.name} as last committed at revision {state.revision}" \
                + (f" ({number} commits back)" if number else "") + ";"
    manual = [change for change in state.comparison.changes if not change.writable]
    raise ConfigError(
        f"no committed {path.name} is at revision {state.revision}, so Prisma has no datamodel "
        "to diff from: " + "; ".join(_opposite(change) for change in manual[:5]),
        hint=f"commit {path.name} as it is at revision {state.revision} (`nivomigrate prisma "
        "check` passes on it), then make the change and run this again")


def _at_head(settings: Settings, text: str, state: PrismaState,
             server: shadow.LocalServer) -> bool:
    """Whether schema.prisma `text` describes the schema at `state.revision`."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="nivo-prisma-committed-") as folder:
        candidate = Path(folder) / state.path.name
        candidate.write_text(text)
        try:
            return compare_prisma(settings, candidate, state.revision, server).comparison.in_step
        except ConfigError:  # an old version Prisma no longer accepts
            return False


def _rename_waivers(settings: Settings, renames) -> tuple[str, ...]:
    """The waivers of squawk's renaming-table/renaming-column rules for the renames of a
    `@map`/`@@map` change (`rename_waivers`).

    Raises:
        ConfigError: a service uses a renamed table or column by its old name.
    """
    if not renames.upgrade:
        return ()
    return rename_waivers(settings, renames.tables, renames.columns,
                          "add the new field or model beside the old one and run "
                          "`nivomigrate revision --from-prisma`")


def rename_waivers(settings: Settings, tables, columns, expand: str) -> tuple[str, ...]:
    """The waivers of squawk's renaming-table/renaming-column rules for renames of `tables`
    ((old, new)) and `columns` ((table, old, new)), each saying why it is safe: no service in
    policies/services.yaml reads or writes the old name. `expand` says the first of the
    expand/contract steps, in the words of the source the team edits.

    Raises:
        ConfigError: a service uses a renamed table or column by its old name (its client
            selects it until it is redeployed): the expand/contract steps are named.
    """
    from nivomigrate.policies.services import load_service_map

    services = load_service_map(settings.policies_dir)
    moved = dict(tables)  # a column rename's statement names the table's new name
    renamed = [(old, None, f'"{old}" to "{new}"', "renaming-table", old)
               for old, new in tables]
    renamed += [(table, old, f'"{table}"."{old}" to "{new}"', "renaming-column",
                 moved.get(table, table)) for table, old, new in columns]
    used = []
    for table, column, said, _, _ in renamed:
        users = sorted({use.service for use in services.of_table(table) if use.uses(column)})
        if users:
            used.append(f"{said} ({', '.join(users)} use{'s' if len(users) == 1 else ''} "
                        "the old name)")
    if used:
        raise ConfigError(
            "a rename of what the deployed services use by its old name: " + "; ".join(used),
            hint=f"in steps (expand/contract): {expand}; copy the data and have the services "
            "write both, then read the new one; remove the old one in a later change")
    return tuple(f'# nivomigrate: waive {rule} "{table}" -- renames {said}: no service in '
                 "policies/services.yaml uses the old name" for _, _, said, rule, table in renamed)


def _refuse_unsafe(old_text: str, new_text: str) -> None:
    from nivomigrate.prisma.schema import read_schema
    from nivomigrate.prisma.steps import prisma_required_refusal, required_without_default

    unsafe = required_without_default(read_schema(old_text), read_schema(new_text))
    if unsafe:
        message, hint = prisma_required_refusal(*unsafe[0])
        raise ConfigError(message, hint=hint)


def _opposite_change(change):
    """The change as schema.prisma made it (`change` says how to undo it)."""
    from dataclasses import replace

    return replace(change, action={"add": "dropped", "remove": "added",
                                   "change": "changed"}[change.action])


def _opposite(change) -> str:
    """Say what schema.prisma did, where `change.text()` says how to undo it."""
    verb = {"add": "drop", "remove": "add", "change": "change"}[change.action]
    return f"{verb} {change.attribute} on model {change.model}"


def _slug(message: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")[:40].rstrip("_") or "prisma"


def prisma_revision_report(settings: Settings, path: Path | None,
                           message: str | None) -> Report:
    """Write the revision from schema.prisma and the models after it; the report is blocked
    (exit 1) when schema.prisma, the new head and the models do not all agree."""
    from nivomigrate.findings import Finding, Location, Report, Section, Severity

    result = revision_from_prisma(settings, path, message)
    state = PrismaState(schema_path(settings, path), result.path.name.split("_")[0],
                        None)
    findings = _grouped(state, [(change, f"schema.prisma is not at revision {state.revision}",
                                 "edit the new revision by hand")
                                for change in result.remaining])
    models = result.models
    findings += [Finding("models-match-revisions", Severity.ERROR,
                         f"the models and revision {state.revision} still disagree: {text}",
                         Location(object=text.split(":", 1)[0]),
                         f"edit the models ({settings.models}) by hand, then run "
                         "`nivomigrate check`")
                 for text in models.remaining]
    sections = [Section(f"Models written: {path_.name}", text=unified_diff(
        old, new, str(path_.relative_to(settings.root))), language="diff")
        for path_, (old, new) in models.changed.items()]
    notes = (f"old datamodel: {result.old_datamodel}",
             *(f"not written into the models: {item}" for item in models.left))
    return Report(command="revision", title=f"wrote {result.path}",
                  findings=tuple(findings), sections=tuple(sections), notes=notes,
                  data={"path": str(result.path),
                        "models": [str(p) for p in models.changed]})
