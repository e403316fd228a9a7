"""The accessibility checker's share of one build: the time in every PDF/UA check, and the whole."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import dhrbuild
import dhrbuild.pipeline
from dhrbuild.checks.pdfua.check import check_accessibility


def main() -> None:
    """Build ``manifest`` in this process and print the checker's time and share as JSON."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("manifest", type=Path)
    ap.add_argument("-o", "--output", type=Path, required=True)
    ap.add_argument("--max-bytes", type=int, default=None)
    args = ap.parse_args()
    spent: list[float] = []

    def timed(pdf: Any) -> Any:
        start = time.perf_counter()
        try:
            return check_accessibility(pdf)
        finally:
            spent.append(time.perf_counter() - start)

    # Every call the pipeline makes goes through the name it imported.
    setattr(dhrbuild.pipeline, "check_accessibility", timed)  # noqa: B010
    manifest = dhrbuild.load_manifest(args.manifest)
    start = time.perf_counter()
    dhrbuild.assemble(manifest, output=args.output, max_bytes=args.max_bytes)
    build = time.perf_counter() - start
    print(
        json.dumps(
            {
                "build_s": build,
                "check_s": sum(spent),
                "calls": len(spent),
                "share": sum(spent) / build if build else 0.0,
            }
        )
    )


if __name__ == "__main__":
    main()
