#!/usr/bin/env python3
"""Run `triwulan demo` at two git revisions and compare every output file.

Why: a refactor must change no byte a reader sees. Each revision is exported into a temporary
folder, installed editable into a scratch venv, and runs the README's demo with a clean
environment; the two output trees are then compared after removing only what differs between
two runs of the same code (see NOISE). Exit 0 if identical, 1 if anything differs, 2 on failure.

    python3 scripts/compare_demo.py                       # 66dfe2a against HEAD
    python3 scripts/compare_demo.py --after WORKTREE      # ... against uncommitted files
    python3 scripts/compare_demo.py --dirs RUN_A RUN_B    # compare two kept runs (--keep)
"""

from __future__ import annotations

import argparse
import difflib
import email
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from email import policy
from pathlib import Path
from typing import Any

Subs = list[tuple[re.Pattern[str], str]]  # (pattern, replacement), applied in order
REPO = Path(__file__).resolve().parent.parent
WORKTREE = "WORKTREE"

# Each entry removes one thing that differs between two runs of the SAME revision (checked by
# running 66dfe2a twice with --raw); rupiah figures, counts, statuses and text are never touched.
# (scope: only files whose relative path contains it, pattern, replacement)
GX = "/data-docs/"  # Great Expectations' own HTML pages
NOISE: list[tuple[str, str, str]] = [
    # report generation time in laporan, validasi, rekap cells/footers and the mails
    ("", r"([Dd]isusun) \d{1,2} \w+ \d{4} pukul \d{2}\.\d{2} WIB", r"\1 <WAKTU> WIB"),
    # summary.json records when the version was generated
    ("", r'"generated_at": "[^"]*"', '"generated_at": "<TIME>"'),
    # openpyxl stamps every workbook's docProps/core.xml with the time it was saved
    ("", r"(<dcterms:(?:created|modified)[^>]*>)[^<]*", r"\1<TIME>"),
    # GX run ids: validation folder names, links, logo cache-buster
    (GX, r"\d{8}T\d{6}\.\d{6}Z", "<GX-RUN>"),
    # GX run time in the breadcrumb and the "Run Time" cell
    (GX, r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", "<GX-TIME>"),
    # GX data-docs index: run time column and its sort key
    (GX, r"'run_time': '[^']*'", "'run_time': '<GX-TIME>'"),
    (GX, r"'_run_time_sort': [\d.]+", "'_run_time_sort': <GX-TIME>"),
    # GX gives each collapsible block a random uuid4 element id
    (GX, r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", "<GX-UUID>"),
]
# Pinned, not normalised: GX orders a failed column pair's values by a set of column names
# (great_expectations/render/util.py), i.e. by Python's per-process string hash seed.
HASH_SEED = "0"
IGNORED_HEADERS = {"date", "message-id"}  # mail send time and id, as the brief asks
BOUNDARY = re.compile(r';\s*boundary="[^"]*"')  # MIME boundaries are random per message
TEXT = {".json", ".html", ".htm", ".txt", ".csv", ".md", ".xml", ".css", ".js", ".toml"}


class Failure(Exception):
    """A run that could not be set up or did not finish: exit 2, never a verdict on the outputs."""


def sh(cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[Any]:
    """Run a command; a failure carries the end of its output."""
    done = subprocess.run(cmd, capture_output=True, **{"text": True, **kw})
    if done.returncode:
        tail = f"{done.stdout!s}{done.stderr!s}"[-3000:]
        raise Failure(f"exit {done.returncode}: {' '.join(cmd)}\n{tail}")
    return done


def export(rev: str, dest: Path) -> str:
    """A pristine copy of a revision (git archive: the repo's .git and work tree stay untouched)."""
    dest.mkdir(parents=True)
    if rev == WORKTREE:
        names = sh(["git", "-C", str(REPO), "ls-files", "-coz", "--exclude-standard"]).stdout
        for name in names.split("\0"):
            if name and (REPO / name).is_file():  # tracked but deleted: absent, as in the tree
                (dest / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPO / name, dest / name, follow_symlinks=False)
        return "working tree"
    commit = sh(["git", "-C", str(REPO), "rev-parse", "--verify", f"{rev}^{{commit}}"]).stdout
    archive = sh(["git", "-C", str(REPO), "archive", "--format=tar", commit.strip()], text=False)
    sh(["tar", "-x", "-C", str(dest)], input=archive.stdout, text=False)
    return commit.strip()[:12]


def clean_env(prefect_home: Path) -> dict[str, str]:
    """No inherited PREFECT_*/TRIWULAN_*/PYTHON* settings; a fresh Prefect home per run."""
    drop = ("PREFECT_", "TRIWULAN_", "PYTHON")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    return {**env, "PREFECT_HOME": str(prefect_home), "PYTHONHASHSEED": HASH_SEED}


def install(venv: Path, src: Path, env: dict[str, str]) -> None:
    """Install src editable into the scratch venv, replacing the previous revision (saves ~80 s).

    Dependencies are pinned to the repo's .venv so both revisions run the very same libraries.
    """
    if not venv.exists():
        sh([sys.executable, "-m", "venv", str(venv)])
    cmd = [str(venv / "bin/python"), "-m", "pip", "install", "-q", "-e", str(src)]
    dev_python = REPO / ".venv/bin/python"
    if dev_python.exists():
        pins = sh([str(dev_python), "-m", "pip", "freeze", "--exclude-editable"]).stdout
        (venv / "constraints.txt").write_text(pins)
        cmd += ["-c", str(venv / "constraints.txt")]
    sh(cmd)
    probe = "import triwulan as t, triwulan.tasks; print(t.__file__, t.tasks.__file__, sep='\\n')"
    out = sh([str(venv / "bin/python"), "-c", probe], cwd=venv, env=env).stdout
    files = [Path(f) for f in out.splitlines()]
    if not all(f.is_relative_to(src) for f in files):  # the revision's own code, or stop
        raise Failure(f"the venv imports triwulan from {files}, not from {src}")
    print(f"  imports {', '.join(str(f.relative_to(src)) for f in files)} from {src}/")


def run_demo(venv: Path, run: Path, env: dict[str, str]) -> None:
    """The Makefile's `demo` target, run from an empty folder (no ./triwulan.toml is read)."""
    run.mkdir(parents=True)
    done = sh([str(venv / "bin/triwulan"), "demo", "--folder", "demo"], cwd=run, env=env)
    (run / "console.txt").write_text(done.stdout)


def noise(root: Path, raw: bool, rel: str) -> Subs:
    """NOISE for this file, and the run's own temp folder (the console's last line names it)."""
    if raw:
        return []
    rules = [(re.compile(p), r) for scope, p, r in NOISE if scope in "/" + rel]
    return [*rules, (re.compile(re.escape(str(root))), "<RUN>")]


def clean(text: str, subs: Subs) -> str:
    for pattern, repl in subs:
        text = pattern.sub(repl, text)
    return text


def text_lines(text: str, subs: Subs) -> list[str]:
    """Normalised lines; long one-line HTML/XML is split after each tag so diffs stay readable."""
    out: list[str] = []
    for line in clean(text, subs).splitlines():
        out += re.split(r"(?<=>)", line) if len(line) > 300 else [line]
    return out


def canon(name: str, data: bytes, subs: Subs) -> list[str]:
    """A comparable line form of one file or attachment, chosen by its name."""
    ext = Path(name).suffix.lower()
    if ext == ".eml":
        return mail_lines(data, subs)
    if ext == ".xlsx":  # compare members' contents, not the zip's own time stamps
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return [x for n in z.namelist() for x in [f"== {n}", *canon(n, z.read(n), subs)]]
    if ext in TEXT:
        try:
            return text_lines(data.decode("utf-8"), subs)
        except UnicodeDecodeError:
            pass
    return [f"<{len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}>"]


def mail_lines(data: bytes, subs: Subs) -> list[str]:
    """Headers (minus Date, Message-ID, boundaries), decoded text parts, attachments' content."""
    out: list[str] = []
    msg = email.message_from_bytes(data, policy=policy.default)
    for i, part in enumerate(msg.walk()):
        for key, value in part.items():
            if key.lower() not in IGNORED_HEADERS:
                out.append(clean(f"[{i}] {key}: {BOUNDARY.sub('', str(value))}", subs))
        if part.is_multipart():
            continue
        # text parts are UTF-8, even the charset-less laporan.html attachment (not ASCII)
        name = "part.txt" if part.get_content_maintype() == "text" else part.get_filename()
        out += canon(name or "", part.get_payload(decode=True) or b"", subs)
    return out


def tree(run: Path, raw: bool) -> dict[str, Path]:
    """Files of one run keyed by normalised relative path, minus logs, the database and Prefect's."""
    files = {}
    for path in sorted(run.rglob("*")):
        rel = path.relative_to(run).as_posix()
        if path.is_file() and not rel.startswith("demo/out/log/") and ".sqlite" not in rel:
            files[clean(rel, noise(run, raw, rel))] = path
    return files


def kind(rel: str) -> str:
    """Counting group: the console, the demo's copied input, else the file's extension."""
    if rel == "console.txt":
        return "console"
    return "inbox" if rel.startswith("demo/inbox/") else Path(rel).suffix[1:].lower() or "other"


def compare(a: Path, b: Path, raw: bool, lines: int) -> int:
    """Print the English summary; return the exit code (0 identical, 1 different)."""
    ta, tb = tree(a, raw), tree(b, raw)
    compared, same, diffs = Counter[str](), Counter[str](), []
    for rel in sorted(ta.keys() & tb.keys()):
        compared[kind(rel)] += 1
        da, db = ta[rel].read_bytes(), tb[rel].read_bytes()
        ca = [] if da == db else canon(rel, da, noise(a, raw, rel))
        cb = [] if da == db else canon(rel, db, noise(b, raw, rel))
        if ca == cb:
            same[kind(rel)] += 1
            continue
        diff = list(difflib.unified_diff(ca, cb, "before", "after", n=1, lineterm=""))
        more = [f"... {len(diff) - lines} more diff lines"] if len(diff) > lines else []
        diffs.append((rel, [d[:200] for d in diff[:lines]] + more))
    only = [f"ONLY IN BEFORE: {rel}" for rel in sorted(ta.keys() - tb.keys())]
    only += [f"ONLY IN AFTER: {rel}" for rel in sorted(tb.keys() - ta.keys())]
    print(f"\n{'kind':<10}{'compared':>10}{'identical':>11}")
    for k in sorted(compared):
        print(f"{k:<10}{compared[k]:>10}{same[k]:>11}")
    print(f"{'total':<10}{sum(compared.values()):>10}{sum(same.values()):>11}")
    for line in only:
        print(line)
    for rel, cut in diffs:
        print(f"\nDIFFERS: {rel}\n  " + "\n  ".join(cut))
    if not diffs and not only:
        print("\nResult: IDENTICAL")
        return 0
    print(f"\nResult: {len(diffs)} files differ, {len(only)} files in one tree only")
    return 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--before", default="66dfe2a", help="git revision (default 66dfe2a)")
    ap.add_argument("--after", default="HEAD", help=f"git revision or {WORKTREE} (default HEAD)")
    ap.add_argument("--dirs", nargs=2, type=Path, metavar="RUN", help="compare two kept runs")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--raw", action="store_true", help="no normalisation: shows what NOISE hides")
    ap.add_argument("--lines", type=int, default=25, help="diff lines shown per file (25)")
    args = ap.parse_args()
    if args.dirs:
        return compare(*args.dirs, args.raw, args.lines)
    started = time.monotonic()
    base = Path(tempfile.mkdtemp(prefix="compare-demo-"))
    try:
        for label, rev in (("before", args.before), ("after", args.after)):  # one after the other
            print(f"{label}: {rev} = {export(rev, base / label / 'src')}", flush=True)
            env = clean_env(base / label / "prefect-home")
            install(base / "venv", base / label / "src", env)
            t0 = time.monotonic()
            run_demo(base / "venv", base / label / "run", env)
            print(f"  demo ran in {time.monotonic() - t0:.0f} s", flush=True)
        code = compare(base / "before/run", base / "after/run", args.raw, args.lines)
    except Failure as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        code = 2
    finally:
        if args.keep:
            print(f"kept {base}; compare again: --dirs {base}/before/run {base}/after/run")
        else:
            shutil.rmtree(base, ignore_errors=True)
    print(f"Took {time.monotonic() - started:.0f} s")
    return code


if __name__ == "__main__":
    sys.exit(main())
