#!/usr/bin/env python3
"""Checks the book's DSN excerpts against the engine (docs/spec/reports-dsn.md).

A chapter quotes a report as an RFC 3464 DSN with a comment, then a ```text block:

    <!-- dsn: NAME N -->
    ```text
    ...lines of the N-th report of `spoolscope run docs/book/scenarios/NAME.toml --format dsn`...
    …
    ```

Every line of the block, except a line that is only "…" (what was cut), must be a line of
that report, in the same order. Run from anywhere:

    python3 docs/book/check-dsn.py [path/to/spoolscope]

It runs the CLI given (default: `cargo run -q -p spoolscope-cli --`), prints one line per
excerpt and exits with 1 when an excerpt is out of date, naming the first line not found.
"""
import pathlib
import re
import subprocess
import sys

BOOK = pathlib.Path(__file__).resolve().parent
ROOT = BOOK.parent.parent
MARK = re.compile(r"^<!-- dsn: ([A-Za-z0-9_-]+) ([1-9][0-9]*) -->$")


def reports(cli, name):
    """The reports of a scenario's run, each as its lines (the mbox separator dropped)."""
    out = subprocess.run(
        cli + ["run", str(BOOK / "scenarios" / f"{name}.toml"), "--format", "dsn"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    found, current = [], None
    for line in out.split("\n"):
        if line.startswith("From MAILER-DAEMON "):
            current = []
            found.append(current)
        elif current is not None:
            current.append(line)
    return found


def excerpts(path):
    """(line number, NAME, N, block lines) for every marked excerpt of a chapter."""
    lines = path.read_text(encoding="utf-8").split("\n")
    for i, line in enumerate(lines):
        m = MARK.match(line.strip())
        if not m:
            continue
        if i + 1 >= len(lines) or lines[i + 1].strip() != "```text":
            yield i + 1, m.group(1), int(m.group(2)), None
            continue
        end = next((j for j in range(i + 2, len(lines)) if lines[j].strip() == "```"), None)
        yield i + 1, m.group(1), int(m.group(2)), None if end is None else lines[i + 2:end]


def first_missing(block, report):
    """The first excerpt line that is not in the report after the previous one, or None."""
    at = 0
    for line in block:
        if line.strip() == "…":
            continue
        try:
            at = report.index(line, at) + 1
        except ValueError:
            return line
    return None


def main():
    cli = sys.argv[1:] or ["cargo", "run", "-q", "-p", "spoolscope-cli", "--"]
    cache, ok, failed = {}, 0, 0
    for chapter in sorted((BOOK / "src").glob("*.md")):
        for line, name, n, block in excerpts(chapter):
            where = f"{chapter.relative_to(ROOT)}:{line}: dsn {name} {n}"
            if block is None:
                print(f"{where}: no ```text block after the comment")
                failed += 1
                continue
            if name not in cache:
                cache[name] = reports(cli, name)
            if n > len(cache[name]):
                print(f"{where}: the run has {len(cache[name])} report(s)")
                failed += 1
                continue
            missing = first_missing(block, cache[name][n - 1])
            if missing is None:
                ok += 1
                print(f"{where}: ok")
            else:
                failed += 1
                print(f"{where}: not in the report (in this order): {missing!r}")
                print(f"    see: spoolscope run docs/book/scenarios/{name}.toml --format dsn")
    print(f"dsn excerpts: {ok} ok, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
