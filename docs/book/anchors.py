#!/usr/bin/env python3
"""mdbook preprocessor for the book's "The model" chapter (model.md, which includes
docs/spec/mapi-transport-model.md):

* an anchor before every numbered heading, `s<number>` (`#s9.4`, `#s8`), and before each of
  §14's open questions, `s14-q<n>` (`#s14-q10`): the playground's details panel links
  "model §9.4" there (crates/render/src/explain.rs, `model_link`);
* every documentation citation key `[D:page]` becomes a link to that page on
  learn.microsoft.com (the spec's §0.1 says what the key expands to).

Other chapters pass through unchanged. mdbook runs it as `python3 docs/book/anchors.py`
(book.toml), first with `supports <renderer>`, then with [context, book] JSON on stdin.
"""
import json
import re
import sys

MS = "https://learn.microsoft.com/en-us/office/client-developer/outlook/mapi/"
HEADING = re.compile(r"^(#{2,6})\s+(\d+(?:\.\d+)*)\.?\s")
QUESTION = re.compile(r"^\* \*\*Q(\d+) ")
CITATION = re.compile(r"(?<!\[)\[D:([a-z0-9-]+)\](?!\()")


def anchors(text):
    out = []
    fence = False
    for line in text.split("\n"):
        if line.startswith("```"):
            fence = not fence
        if not fence:
            h = HEADING.match(line)
            q = QUESTION.match(line)
            if h:
                out.append(f'<a id="s{h.group(2)}"></a>')
                out.append("")
            elif q:
                line = f'* <a id="s14-q{q.group(1)}"></a>' + line[2:]
            line = CITATION.sub(lambda m: f"[[D:{m.group(1)}]]({MS}{m.group(1)})", line)
        out.append(line)
    return "\n".join(out)


def walk(items):
    for item in items or []:
        chapter = item.get("Chapter") if isinstance(item, dict) else None
        if not chapter:
            continue
        if (chapter.get("path") or "").endswith("model.md"):
            chapter["content"] = anchors(chapter.get("content") or "")
        walk(chapter.get("sub_items"))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "supports":
        sys.exit(0)
    context, book = json.load(sys.stdin)
    walk(book.get("items", book.get("sections")))
    json.dump(book, sys.stdout)


if __name__ == "__main__":
    main()
