"""How every PDF dhrbuild writes is saved: the only home of ``Pdf.save()`` settings."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Final

import pikepdf
from pikepdf import ObjectStreamMode, StreamDecodeLevel

from dhrbuild.atomic import GuardedWriter

FLATE_LEVEL: Final = 9
"""zlib level for every stream dhrbuild compresses: the best, as ``qpdf --compression-level=9``."""
_save_lock = threading.Lock()


@contextlib.contextmanager
def _flate_level() -> Iterator[None]:
    # pikepdf's compression level is process-wide and has no getter: hold a lock while it is
    # changed and put back zlib's default (-1) afterwards.
    with _save_lock:
        pikepdf.settings.set_flate_compression_level(FLATE_LEVEL)
        try:
            yield
        finally:
            pikepdf.settings.set_flate_compression_level(-1)


def save(pdf: pikepdf.Pdf, target: Path | BinaryIO) -> None:
    """Write ``pdf`` as a full rewrite with the project's one set of save settings.

    Object streams are generated and deflated at the best level, streams without a filter
    compressed, and streams already encoded copied as they are
    (:func:`dhrbuild.size.lossless.optimise_lossless` has recompressed them); the document ID
    is derived from the content so that the same inputs give byte-identical files.

    Args:
        pdf: The document.
        target: A path or a writable binary file.
    """
    if isinstance(target, Path):
        # Never a path to qpdf: its own file output aborts the process on a full disk.
        with target.open("wb") as fh:
            guard = GuardedWriter(fh)
            save(pdf, guard)  # type: ignore[arg-type]
            guard.flush()
            guard.check()
        return
    with _flate_level():
        pdf.save(
            target,
            object_stream_mode=ObjectStreamMode.generate,
            compress_streams=True,
            stream_decode_level=StreamDecodeLevel.none,
            deterministic_id=True,
            linearize=False,
            fix_metadata_version=True,
        )


__all__ = ["FLATE_LEVEL", "save"]
