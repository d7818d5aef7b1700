"""Derive services.yaml's `operations:` from the NivoStack monorepo's Prisma calls.

For every handler a service lists (`handlers:`, "POST /api/logs" -> the POST function of
dashboard/src/app/api/logs/route.ts), follow the top-level functions it names, in its file and in
the files it imports by `@/` or a relative path, transitively, and collect the Prisma write calls
(`prisma|prismaRead|tx.<model>.<call>(`): create/createMany -> insert, upsert -> insert+update,
update/updateMany -> update, delete/deleteMany -> delete. The repository has no raw DML (its
`$executeRaw` calls are DDL in /api/admin/migrate*), so raw SQL is not read. A function named
anywhere in a body counts as reached (callbacks included), so this over-approximates.

Run from the repository root, with the monorepo fetched as a bare git directory:

    python tools/services_map/operations.py /work/.mirror/iplixera+nivostack-monorepo/repo

It prints one line per service and table: `service Table: [insert, update]` (nothing for a
table the service only reads); `--write` puts them into policies/services.yaml as well.
"""

from __future__ import annotations

import argparse
import posixpath
import re
import subprocess
from functools import cache
from pathlib import Path

import yaml

APP = "dashboard/src"
KINDS = {"create": ("insert",), "createMany": ("insert",), "createManyAndReturn": ("insert",),
         "upsert": ("insert", "update"), "update": ("update",), "updateMany": ("update",),
         "delete": ("delete",), "deleteMany": ("delete",)}
ORDER = ("insert", "update", "delete")
_CALL = re.compile(r"\(?\s*\b(?:prisma|prismaRead|prismaAny|tx)\b(?:\s+as\s+any\s*\))?"
                   r"\s*\.\s*(\w+)\s*\.\s*(\w+)\s*\(")
_DECLARATION = re.compile(r"(?:export\s+)?(?:default\s+)?(?:async\s+)?"
                          r"(?:function\s*\*?\s*(\w+)|(?:const|let)\s+(\w+)\s*[:=])")
_IMPORT = re.compile(r"import\s+(?:type\s+)?\{([^}]*)\}\s*from\s*['\"]([^'\"]+)['\"]")


class Monorepo:
    """The files of one commit, read with `git show`."""

    def __init__(self, git_dir: str, commit: str):
        self.git_dir, self.commit = git_dir, commit

    @cache  # noqa: B019 - one instance per run
    def read(self, path: str) -> str | None:
        shown = subprocess.run(["git", "--git-dir", self.git_dir, "show", f"{self.commit}:{path}"],
                               capture_output=True, text=True)
        return shown.stdout if shown.returncode == 0 else None

    @cache  # noqa: B019
    def functions(self, path: str) -> dict[str, str]:
        """Return the file's top-level declarations: name -> code up to the next one."""
        code = _code_only(self.read(path) or "")
        starts = [(m.start(), m.group(1) or m.group(2)) for m in _DECLARATION.finditer(code)
                  if _at_top_level(code, m.start())]
        ends = [start for start, _ in starts[1:]] + [len(code)]
        return {name: code[start:end] for (start, name), end in zip(starts, ends, strict=True)}

    @cache  # noqa: B019
    def imports(self, path: str) -> dict[str, tuple[str, str]]:
        """Return local name -> (file, exported name) for the project's own imports."""
        found = {}
        for names, source in _IMPORT.findall(self.read(path) or ""):
            target = _resolve(path, source)
            if target is None:
                continue
            for item in filter(None, (part.strip() for part in names.split(","))):
                exported, _, local = item.removeprefix("type ").partition(" as ")
                found[(local or exported).strip()] = (self._module(target), exported.strip())
        return found

    def _module(self, stem: str) -> str:
        for candidate in (f"{stem}.ts", f"{stem}.tsx", f"{stem}/index.ts"):
            if self.read(candidate) is not None:
                return candidate
        return f"{stem}.ts"


def _resolve(path: str, source: str) -> str | None:
    if source.startswith("@/"):
        return f"{APP}/{source[2:]}"
    if source.startswith("."):
        return posixpath.normpath(posixpath.join(posixpath.dirname(path), source))
    return None


def _code_only(text: str) -> str:
    """Return `text` with comments and string literals blanked (same length and lines)."""
    out, i = list(text), 0
    while i < len(text):
        if text.startswith(("//", "/*"), i):
            end = text.find("\n" if text[i + 1] == "/" else "*/", i + 2)
            end = len(text) if end < 0 else end + (0 if text[i + 1] == "/" else 2)
        elif text[i] in "'\"`":
            end = i + 1
            while end < len(text) and text[end] != text[i]:
                end += 2 if text[end] == "\\" else 1
            end += 1
        else:
            i += 1
            continue
        for j in range(i, min(end, len(text))):
            out[j] = text[j] if text[j] == "\n" else " "
        i = end
    return "".join(out)


def _at_top_level(code: str, offset: int) -> bool:
    prefix = code[:offset]
    return prefix.count("{") == prefix.count("}") and (offset == 0 or code[offset - 1] == "\n")


def reached_operations(repo: Monorepo, handler: str) -> dict[str, set[str]]:
    """Return model -> statement kinds reachable from one handler ("POST /api/logs")."""
    method, route = handler.split(" ", 1)
    found: dict[str, set[str]] = {}
    pending, seen = [(f"{APP}/app{route}/route.ts", method)], set()
    while pending:
        path, name = pending.pop()
        if (path, name) in seen or name not in repo.functions(path):
            continue
        seen.add((path, name))
        body = repo.functions(path)[name]
        for model, call in _CALL.findall(body):
            found.setdefault(model, set()).update(KINDS.get(call, ()))
        words = set(re.findall(r"\b\w+\b", body)) - {name}
        pending += [(path, other) for other in repo.functions(path) if other in words]
        pending += [target for local, target in repo.imports(path).items() if local in words]
    return found


def service_operations(repo: Monorepo, handlers: list[str],
                       models: dict[str, str]) -> dict[str, list[str]]:
    """Return Table -> ordered kinds for one service; `models` maps prisma.<x> to Table."""
    merged: dict[str, set[str]] = {}
    for handler in handlers:
        for model, kinds in reached_operations(repo, handler).items():
            if model in models and kinds:
                merged.setdefault(models[model], set()).update(kinds)
    return {table: [k for k in ORDER if k in kinds] for table, kinds in sorted(merged.items())}


def _with_operations(line: str, kinds: list[str]) -> str:
    line = re.sub(r", operations: \[[^\]]*\]", "", line)
    if kinds == ["delete"]:  # a delete writes no column (services.yaml's header)
        line = re.sub(r"writes: \[[^\]]*\]", "writes: []", line)
    return re.sub(r"\}(\s*(#.*)?)$", f", operations: [{', '.join(kinds)}]}}\\1", line, count=1)


def write_operations(services_yaml: Path, derived: dict[str, dict[str, list[str]]]) -> None:
    """Put `operations:` on every table line of services.yaml that has writes or operations."""
    lines, service = services_yaml.read_text().splitlines(keepends=True), None
    for n, line in enumerate(lines):
        if match := re.match(r"  (\w+):\s*$", line):
            service = match.group(1)
        table = re.match(r"      (\w+): \{", line)
        if service in derived and table:
            kinds = derived[service].get(table.group(1))
            if kinds or "operations:" in line or "writes: []" not in line:
                lines[n] = _with_operations(line.rstrip("\n"), kinds or []) + "\n"
    services_yaml.write_text("".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("git_dir")
    parser.add_argument("--services", type=Path, default=Path("policies/services.yaml"))
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    document = yaml.safe_load(args.services.read_text())
    repo = Monorepo(args.git_dir, document["source"]["commit"])
    models = {name[0].lower() + name[1:]: name for name in document["owners"]}
    derived = {service: service_operations(repo, body["handlers"], models)
               for service, body in document["services"].items()}
    for service, tables in derived.items():
        for table, kinds in tables.items():
            print(f"{service} {table}: [{', '.join(kinds)}]")
    if args.write:
        write_operations(args.services, derived)


if __name__ == "__main__":
    main()
