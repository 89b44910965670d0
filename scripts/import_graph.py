"""Import structure of the installed `triwulan` package, as Markdown (or JSON, or Mermaid).

Measures what the tasks/ split into stage subpackages changes: modules per stage, import arrows,
import loops, the longest import chain and the arrows between stages. grimp walks only a real
package directory, not the editable install's path mapping, so the script installs a snapshot of
the source into a temporary folder first (pip --target, about 7 s) and measures that copy.
Run: .venv/bin/python scripts/import_graph.py [--rev HEAD] [--json PATH] [--mermaid-only]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = "triwulan"
TASKS = "triwulan.tasks"
SHELLS = "tasks (shells)"
Edge = tuple[str, str]
NOTE = "Direct imports between distinct modules, as grimp reports them: imports inside functions"
NOTE += " and `if TYPE_CHECKING:` blocks count."
COUNTING = "A subpackage's `__init__` is one of its modules; code lines leave out blank and"
COUNTING += " comment-only lines."


def snapshot(repo: Path, rev: str | None, dest: Path) -> None:
    """Copy the sources (a git revision, or the working tree minus ignored files) to build from."""
    if rev:
        tar = dest.with_suffix(".tar")
        subprocess.run(["git", "-C", repo, "archive", "-o", tar, rev], check=True)
        return shutil.unpack_archive(tar, dest, filter="data")
    listing = ["git", "-C", repo, "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    for name in subprocess.run(listing, check=True, capture_output=True).stdout.split(b"\0"):
        path = repo / name.decode()
        if name and path.is_file():  # a file moved without `git mv` is still in the index
            (dest / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest / name.decode())


def install(src: Path, site: Path) -> list[str]:
    """pip-install the snapshot into `site`; returns source .py files that did not get installed."""
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile"]
    subprocess.run([*pip, "--disable-pip-version-check", "--target", site, src], check=True)
    mapping = tomllib.loads((src / "pyproject.toml").read_text())["tool"]["setuptools"]
    missing = []
    for package, folder in mapping.get("package-dir", {ROOT: ROOT}).items():
        for py in sorted((src / folder).rglob("*.py")):
            installed = site / package.replace(".", "/") / py.relative_to(src / folder)
            if not installed.is_file():
                missing.append(str(py.relative_to(src)))
    return missing


def module_file(site: Path, module: str) -> Path:
    """The installed file of a module (a package's file is its __init__.py)."""
    base = site.joinpath(*module.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def load(site: Path) -> tuple[set[str], set[str], set[Edge], dict[str, list[int]]]:
    """Modules, packages, direct imports and [lines, code lines] of the copy in `site`."""
    sys.path.insert(0, str(site))
    spec = importlib.util.find_spec(ROOT)
    if spec is None or not str(spec.origin).startswith(str(site)):
        sys.exit(f"{ROOT} resolves to {spec and spec.origin}, not to the copy in {site}")
    import grimp  # the dev venv has it; imported late so --selftest runs anywhere

    graph = grimp.build_graph(ROOT, cache_dir=None)  # no .grimp_cache in the repo
    modules = set(graph.modules)
    edges = {(m, i) for m in modules for i in graph.find_modules_directly_imported_by(m) if m != i}
    lines: dict[str, list[int]] = {}
    for m in modules:
        path = module_file(site, m)
        if not path.is_relative_to(site) or not path.is_file():
            sys.exit(f"{m}: no file at {path}")
        text = path.read_text().splitlines()
        code = [t for t in text if t.strip() and not t.lstrip().startswith("#")]
        lines[m] = [len(text), len(code)]
    packages = {m for m in modules if module_file(site, m).name == "__init__.py"}
    return modules, packages, edges, lines


def group_of(module: str, packages: set[str]) -> str:
    """Stage of a module: tasks.<subpackage>, tasks (shells), another subpackage, or app."""
    parts = module.split(".") + ["__init__"] * (module in packages)  # a package is its __init__
    if parts[1:2] == ["tasks"]:
        return f"tasks.{parts[2]}" if len(parts) > 3 else SHELLS
    return parts[1] if len(parts) > 2 else "app"


def sccs(nodes: set[str], edges: set[Edge]) -> list[list[str]]:
    """Tarjan, iterative; components come out importers-after-imported (reverse topological)."""
    succ = {n: sorted(b for a, b in edges if a == n and b in nodes) for n in nodes}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []
    for root in sorted(nodes):
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        work = [(root, iter(succ[root]))]
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    work.append((w, iter(succ[w])))
                    break
                if w in stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = stack[stack.index(v) :]
                    del stack[stack.index(v) :]
                    out.append(sorted(comp))
    return out


def longest_chain(nodes: set[str], edges: set[Edge]) -> list[list[str]]:
    """Longest import chain through the condensation DAG; a loop counts as one floor."""
    comps = sccs(nodes, edges)
    comp_of = {n: i for i, c in enumerate(comps) for n in c}
    arrows = {(comp_of[a], comp_of[b]) for a, b in edges if a in comp_of and b in comp_of}
    best: dict[int, list[int]] = {}
    for i in range(len(comps)):  # every imported component comes before its importers
        tails = [best[j] for j in sorted({j for k, j in arrows if k == i and j != i})]
        best[i] = [i, *max(tails, key=len, default=[])]
    top = max(best.values(), key=len, default=[])
    return [comps[i] for i in top]


def measure(
    modules: set[str], packages: set[str], edges: set[Edge], lines: dict[str, list[int]]
) -> dict:
    """All numbers, from plain sets, so --selftest can check them on a fake graph."""
    tasks = {m for m in modules if m == TASKS or m.startswith(TASKS + ".")}
    group = {m: group_of(m, packages) for m in modules}
    groups: dict[str, dict] = {}
    for m in sorted(modules):
        g = groups.setdefault(group[m], {"modules": [], "lines": 0, "code_lines": 0, "inner": 0})
        g["modules"].append(m)
        g["lines"] += lines.get(m, [0, 0])[0]
        g["code_lines"] += lines.get(m, [0, 0])[1]
    between: dict[str, int] = {}
    for a, b in edges:
        if group[a] == group[b]:
            groups[group[a]]["inner"] += 1
        else:
            key = f"{group[a]} -> {group[b]}"
            between[key] = between.get(key, 0) + 1
    tasks_edges = {(a, b) for a, b in edges if a in tasks and b in tasks}
    return {
        "direct_in_tasks": sorted(m for m in tasks if group[m] == SHELLS),
        "stages": sorted(g for g in groups if g.startswith("tasks.")),
        "groups": groups,
        "arrows_tasks": len(tasks_edges),
        "arrows_package": len(edges),
        "loops": [c for c in sccs(modules, edges) if len(c) > 1],
        "chain_tasks": longest_chain(tasks, tasks_edges),
        "chain_package": longest_chain(modules, edges),
        "between": dict(sorted(between.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def short(module: str) -> str:
    """A module's name without the package prefix, as docs write it."""
    return module.removeprefix(TASKS + ".").removeprefix(ROOT + ".")


def chain_text(chain: list[list[str]]) -> str:
    """`steps → mails → fmt`, a loop on the way written as {a, b}."""
    names = [", ".join(map(short, c)) for c in chain]  # module names hold no commas
    return " → ".join("{" + n + "}" if "," in n else n for n in names)


def mermaid(numbers: dict) -> str:
    """flowchart TD of the groups, edges labelled with arrow counts; lone data packages left out."""
    linked = {g for key in numbers["between"] for g in key.split(" -> ")}
    shown = [g for g in numbers["groups"] if g in linked or g.startswith("tasks")]
    ident = {g: "n_" + "".join(ch if ch.isalnum() else "_" for ch in g) for g in shown}
    out = ["```mermaid", "flowchart TD"]
    for g, n in ident.items():
        count = len(numbers["groups"][g]["modules"])
        out.append(f'    {n}["{g}<br/>{count} module{"s" * (count != 1)}"]')
    for key, count in numbers["between"].items():
        a, b = key.split(" -> ")
        out.append(f"    {ident[a]} -->|{count}| {ident[b]}")
    return "\n".join([*out, "```"])


def row(*cells: object) -> str:
    """A Markdown table row; a cell of dashes is a right-aligned rule."""
    return "| " + " | ".join("---:" if c == "-" else str(c) for c in cells) + " |"


def markdown(n: dict, source: str, missing: list[str]) -> str:
    """The report, in the order the refactor is discussed."""
    direct, loops, init = n["direct_in_tasks"], n["loops"], " (`tasks` is its `__init__`)"
    out = [f"# Import graph of `{ROOT}` ({source})", ""]
    if missing:
        out += [f"**Not installed** (missing from pyproject's packages?): {', '.join(missing)}", ""]
    out += [f"## Modules directly in `{TASKS}`: {len(direct)}", ""]
    out += [", ".join(map(short, direct)) + init * (TASKS in direct), ""]
    out += ["## Modules per group", ""]
    out += [row("group", "modules", "lines", "code lines", "inner arrows"), row("---", *"-" * 4)]
    for g, d in sorted(n["groups"].items()):
        out.append(row(g, len(d["modules"]), d["lines"], d["code_lines"], d["inner"]))
    out += ["", f"Stages (subpackages of `{TASKS}`): {len(n['stages'])}. {COUNTING}", ""]
    out += ["## Import arrows", "", f"- inside `{TASKS}`: {n['arrows_tasks']}"]
    out += [f"- inside `{ROOT}`: {n['arrows_package']}", "", NOTE, ""]
    out += [f"## Import loops: {len(loops)}", ""]
    out += [f"- {{{', '.join(map(short, c))}}}" for c in loops] or ["none"]
    out += ["", "## Floors (longest import chain, a loop is one floor)", ""]
    for name in ("tasks", "package"):
        out.append(f"- {name}: {len(n[f'chain_{name}'])} floors: {chain_text(n[f'chain_{name}'])}")
    out += ["", "## Arrows between groups", "", row("from", "to", "arrows"), row("---", "---", "-")]
    out += [row(*k.split(" -> "), v) for k, v in n["between"].items()]
    return "\n".join([*out, "", mermaid(n)])


def selftest() -> None:
    """Checks grouping, loops and floors on a made-up layout with two stages and a loop."""
    t, pk = TASKS, {ROOT, TASKS, f"{TASKS}.a", f"{TASKS}.b", f"{ROOT}.flows"}
    arrows = "cli>flows.q flows.q>tasks.s tasks.s>tasks.b.z tasks.b.z>tasks.a.x tasks.b.z>tasks.a.y"
    arrows += " tasks.a.x>tasks.a.y tasks.a.y>tasks.a.x tasks.a>tasks.a.x"
    edges = {(f"{ROOT}.{a}", f"{ROOT}.{b}") for a, b in (e.split(">") for e in arrows.split())}
    mods = pk | {m for e in edges for m in e}
    n = measure(mods, pk, edges, {m: [2, 1] for m in mods})
    assert group_of(f"{t}.a", pk) == "tasks.a" and group_of(f"{t}.s", pk) == SHELLS
    assert group_of(t, pk) == SHELLS and group_of(ROOT, pk) == "app"
    assert n["direct_in_tasks"] == [t, f"{t}.s"] and n["stages"] == ["tasks.a", "tasks.b"]
    between = {"tasks.b -> tasks.a": 2, "app -> flows": 1, f"flows -> {SHELLS}": 1}
    assert n["between"] == between | {f"{SHELLS} -> tasks.b": 1}, n["between"]
    assert n["arrows_tasks"] == 6 and n["arrows_package"] == 8
    assert n["loops"] == [[f"{t}.a.x", f"{t}.a.y"]]
    assert chain_text(n["chain_tasks"]) == "s → b.z → {a.x, a.y}"
    assert chain_text(n["chain_package"]) == "cli → flows.q → s → b.z → {a.x, a.y}"
    assert "n_tasks_b -->|2| n_tasks_a" in mermaid(n)
    assert "| tasks.a | 3 | 6 | 3 | 3 |" in markdown(n, "", [])  # modules, lines, code, inner
    print("selftest ok")


def main() -> None:
    """Snapshot, install, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", help="measure this git revision (default: the working tree)")
    parser.add_argument("--json", type=Path, help="also write all numbers to this file")
    parser.add_argument("--mermaid-only", action="store_true", help="print only the Mermaid block")
    parser.add_argument("--selftest", action="store_true", help="check the counting, then stop")
    args = parser.parse_args()
    if args.selftest:
        return selftest()
    repo = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="import-graph-") as tmp:
        src, site = Path(tmp, "src"), Path(tmp, "site")
        snapshot(repo, args.rev, src)
        missing = install(src, site)
        numbers = measure(*load(site))
    source = f"git {args.rev}" if args.rev else "working tree"
    if args.json:
        args.json.write_text(json.dumps({"source": source, "not_installed": missing, **numbers}))
    print(mermaid(numbers) if args.mermaid_only else markdown(numbers, source, missing))


if __name__ == "__main__":
    main()
