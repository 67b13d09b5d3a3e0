#!/usr/bin/env python3
"""The served pages' Content-Security-Policy (links spec §7).

    python3 scripts/csp.py apply DIST         # after `trunk build` and `mdbook build`
    python3 scripts/csp.py serve DIST ADDR PORT
    python3 scripts/csp.py policy             # prints the meta policy

`apply` makes every HTML page under DIST (the playground, its embed mode and the book's pages)
run without inline script: each inline `<script>` (trunk's module loader, mdbook's theme and
sidebar set-up) moves into a file named by its SHA-256 beside the page, loaded by `src` with
an `integrity` hash, in the same place and order (classic scripts share one global scope, so
`const path_to_root` still reaches the later ones). It then puts the policy in a
`<meta http-equiv="Content-Security-Policy">` right after `<meta charset>`, before anything
loads, and writes DIST/_headers (the format of Netlify and Cloudflare Pages) with the
`frame-ancestors` directive, which browsers ignore in a meta tag (CSP 3 §6.4.2): a static host
that cannot send headers still gets every other directive. Running it twice changes nothing.

`serve` is `python3 -m http.server` that also sends `frame-ancestors` (what scripts/serve.sh
runs), so that the pages behave served as they will be hosted.
"""

import base64
import hashlib
import http.server
import re
import sys
from functools import partial
from pathlib import Path

# No inline script, no eval (WebAssembly compiles under 'wasm-unsafe-eval' only), no plugins,
# no <base>, no forms. The engine's worker starts from a blob: module that imports the page's
# own glue. Style attributes are allowed (Yew sets widths and offsets with `style=`; mdbook
# has one `style="clear: both"`); style elements and sheets come from the page's origin only.
POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    ]
)

# The embed is the point: any site may frame the playground (its pages hold nothing but the
# reader's own scenario). Sent as a header only.
FRAME_ANCESTORS = "frame-ancestors *"

META = f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">'

SCRIPT = re.compile(r"<script(?P<attrs>(?:\s[^>]*)?)>(?P<body>.*?)</script>", re.S | re.I)
CHARSET = re.compile(r"<meta\s+charset=[^>]*>", re.I)


def integrity(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


TAG_WITH_INTEGRITY = re.compile(
    r"<(?:link|script)\b[^>]*?\s(?:href|src)=\"\./(?P<name>[^\"]+)\"[^>]*?\sintegrity=\"(?P<hash>[^\"]+)\"[^>]*>",
    re.I,
)


def refresh_integrity(page: Path) -> int:
    """Re-hashes every `integrity` of `page` that names a file beside it (files minified after
    trunk wrote their hashes); returns how many changed."""
    html = page.read_text(encoding="utf-8")
    changed = 0

    def fix(m: re.Match) -> str:
        nonlocal changed
        file = page.parent / m.group("name")
        if not file.is_file():
            return m.group(0)
        new = integrity(file.read_bytes())
        if new == m.group("hash"):
            return m.group(0)
        changed += 1
        return m.group(0).replace(m.group("hash"), new)

    html = TAG_WITH_INTEGRITY.sub(fix, html)
    page.write_text(html, encoding="utf-8")
    return changed


def harden(page: Path) -> int:
    """Moves `page`'s inline scripts into files and adds the meta policy; returns how many moved."""
    html = page.read_text(encoding="utf-8")
    moved = 0

    def out_of_line(m: re.Match) -> str:
        nonlocal moved
        attrs, body = m.group("attrs"), m.group("body")
        if re.search(r"\ssrc\s*=", attrs, re.I) or not body.strip():
            return m.group(0)
        data = body.encode("utf-8")
        name = f"inline-{hashlib.sha256(data).hexdigest()[:16]}.js"
        (page.parent / name).write_bytes(data)
        moved += 1
        return f'<script{attrs} src="./{name}" integrity="{integrity(data)}"></script>'

    html = SCRIPT.sub(out_of_line, html)
    if "Content-Security-Policy" not in html:
        m = CHARSET.search(html)
        if m is None:
            raise SystemExit(f"{page}: no <meta charset> to put the policy after")
        html = html[: m.end()] + "\n    " + META + html[m.end() :]
    if any(
        m.group("body").strip() and not re.search(r"\ssrc\s*=", m.group("attrs"), re.I)
        for m in SCRIPT.finditer(html)
    ):
        raise SystemExit(f"{page}: an inline script is left")
    if re.search(r"<[^>]*\son[a-z]+\s*=|<[^>]*=\s*[\"']?javascript:", html, re.I):
        raise SystemExit(f"{page}: an inline event handler or javascript: address")
    page.write_text(html, encoding="utf-8")
    return moved


def apply(dist: Path) -> None:
    pages = sorted(dist.rglob("*.html"))
    if not pages:
        raise SystemExit(f"{dist}: no HTML pages (build first)")
    rehashed = sum(refresh_integrity(p) for p in pages)
    moved = sum(harden(p) for p in pages)
    (dist / "_headers").write_text(
        f"/*\n  Content-Security-Policy: {FRAME_ANCESTORS}\n", encoding="utf-8"
    )
    print(
        f"CSP: {len(pages)} pages under {dist}/, {moved} inline scripts moved into files, "
        f"{rehashed} integrity hashes refreshed"
    )


class Handler(http.server.SimpleHTTPRequestHandler):
    def end_headers(self):
        self.send_header("Content-Security-Policy", FRAME_ANCESTORS)
        super().end_headers()


def serve(dist: Path, addr: str, port: int) -> None:
    handler = partial(Handler, directory=str(dist))
    with http.server.ThreadingHTTPServer((addr, port), handler) as httpd:
        httpd.serve_forever()


def main(argv: list[str]) -> None:
    if argv[:1] == ["apply"] and len(argv) == 2:
        apply(Path(argv[1]))
    elif argv[:1] == ["serve"] and len(argv) == 4:
        serve(Path(argv[1]), argv[2], int(argv[3]))
    elif argv == ["policy"]:
        print(POLICY)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
