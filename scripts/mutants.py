#!/usr/bin/env python3
"""mutants.py - plant each bug of tests/mutants/catalogue.json in a scratch copy of the tree, rebuild,
run the tests that should catch it, and say whether they did (killed) or not (survived).

usage: scripts/mutants.py [--only ID[,ID...]] [--keep]
Each mutant's "from" text must occur exactly once in its file (a stale entry is an error, not a
pass). The copy is built once without sanitizers (a logic bug needs no sanitizer to be seen, and
the run is four times faster) and without -Werror (a mutant may leave a variable unused), and again
incrementally for each mutant. Exit 0 when every mutant
is killed, 1 otherwise."""
import json
import re
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CATALOGUE = os.path.join(ROOT, "tests", "mutants", "catalogue.json")


def run(cmd, cwd, timeout=1800, env=None):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


def main():
    args = sys.argv[1:]
    only = None
    if "--only" in args:
        only = set(args[args.index("--only") + 1].split(","))
    keep = "--keep" in args
    catalogue = json.load(open(CATALOGUE))
    if only:
        catalogue = [m for m in catalogue if m["id"] in only]
    for m in catalogue:
        count = open(os.path.join(ROOT, m["file"])).read().count(m["from"])
        if count != 1:
            sys.exit(f"mutants: {m['id']}: its text occurs {count} times in {m['file']}; update the catalogue")
    scratch = tempfile.mkdtemp(prefix="dc-mutants-")
    tree = os.path.join(scratch, "tree")
    # the committed tree as it is now (tracked files, with uncommitted edits), not build outputs
    files = run(["git", "ls-files", "-z"], ROOT).stdout.split("\0")
    for f in filter(None, files):
        src = os.path.join(ROOT, f)
        if os.path.isfile(src):
            os.makedirs(os.path.dirname(os.path.join(tree, f)), exist_ok=True)
            shutil.copy2(src, os.path.join(tree, f))
    # tests read ../shared beside the tree, as CI has it
    if os.path.isdir(os.path.join(os.path.dirname(ROOT), "shared")):
        os.symlink(os.path.join(os.path.dirname(ROOT), "shared"), os.path.join(scratch, "shared"))
    os.makedirs(os.path.join(tree, "build"), exist_ok=True)
    os.symlink(os.path.join(ROOT, "build", "borders"), os.path.join(tree, "build", "borders"))
    if os.path.isdir(os.path.join(ROOT, "web", "node_modules")):
        os.symlink(os.path.join(ROOT, "web", "node_modules"), os.path.join(tree, "web", "node_modules"))
    build = os.path.join(tree, "build", "mutants")
    out = run(["cmake", "-S", tree, "-B", build, "-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-DDC_SANITIZE=OFF",
                "-DDC_WERROR=OFF"], tree)
    if out.returncode != 0:
        sys.exit("mutants: cmake failed:\n" + out.stderr[-2000:])

    def build_and_test(tests):
        b = run(["cmake", "--build", build, "-j2"], tree)
        if b.returncode != 0:
            return "stillborn", b.stdout[-1500:] + b.stderr[-1500:]
        pattern = "^(" + "|".join(tests) + ")$"
        t = run(["ctest", "-R", pattern, "--timeout", "600", "-j2"], build)
        lines = t.stdout.splitlines()
        failed = []
        if "The following tests FAILED:" in lines:
            for line in lines[lines.index("The following tests FAILED:") + 1:]:
                if " - " not in line:
                    break
                failed.append(line.split(" - ", 1)[1].rsplit(" (", 1)[0].strip())
        ran = len(re.findall(r"^\s*\d+/\d+ Test\s+#", t.stdout, re.M))
        if ran < len(tests):
            return "missing", (failed, ran)
        return ("failed" if t.returncode != 0 else "passed"), (failed, ran)

    every_test = sorted({t for m in catalogue for t in m["tests"]})
    print(f"mutants: {len(catalogue)} in {len(every_test)} tests; baseline build in {tree}", flush=True)
    verdict, detail = build_and_test(every_test)
    if verdict != "passed":
        sys.exit(f"mutants: the unmutated tree does not pass its tests ({verdict}): {detail}")
    killed = survived = 0
    rows = []
    for m in catalogue:
        path = os.path.join(tree, m["file"])
        original = open(path).read()
        open(path, "w").write(original.replace(m["from"], m["to"], 1))
        started = time.time()
        verdict, detail = build_and_test(m["tests"])
        open(path, "w").write(original)
        os.utime(path, None)
        took = time.time() - started
        if verdict == "failed":
            killed += 1
            by = ", ".join(detail[0]) or "(ctest failed)"
            rows.append((m["id"], "killed", by, took))
        elif verdict == "stillborn":
            rows.append((m["id"], "STILLBORN", "does not build", took))
            survived += 1
        elif verdict == "missing":
            rows.append((m["id"], "NO TEST", f"only {detail[1]} of {m['tests']} exist", took))
            survived += 1
        else:
            survived += 1
            rows.append((m["id"], "SURVIVED", ", ".join(m["tests"]), took))
        print(f"  {rows[-1][0]:40s} {rows[-1][1]:9s} {rows[-1][2]}  ({took:.0f} s)", flush=True)
    print(f"mutants: {killed} killed, {survived} survived of {len(catalogue)}", flush=True)
    if not keep:
        shutil.rmtree(scratch, ignore_errors=True)
    sys.exit(0 if survived == 0 else 1)


if __name__ == "__main__":
    main()
