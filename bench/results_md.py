"""Each benchmark's section of ``bench/RESULTS.md``, between its own two marker lines."""

from __future__ import annotations

import os
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def write_block(start: str, end: str, text: str, results: Path = RESULTS) -> None:
    """Put ``start``, ``text`` and ``end`` (one line each) in place of the section between
    the markers, or append them when the file has none; the file is replaced atomically."""
    block = f"{start}\n{text.strip(chr(10))}\n{end}"
    body = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n"
    if start in body and end in body:
        head, rest = body.split(start, 1)
        body = head + block + rest.split(end, 1)[1]
    else:
        body = body.rstrip("\n") + "\n\n" + block + "\n"
    tmp = results.with_name(results.name + ".tmp")
    tmp.write_text(body, encoding="utf-8")
    os.replace(tmp, results)
