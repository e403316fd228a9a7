"""dhrbuild: build the single publication PDF of a Domestic Homicide Review."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from dhrbuild import errors
from dhrbuild._version import __version__
from dhrbuild.errors import DhrbuildError, ExitCode

if TYPE_CHECKING:
    from dhrbuild.manifest import Manifest, load_manifest, manifest_from_dict
    from dhrbuild.pipeline import BuildResult, PartResult, assemble, validate

# The build's modules (pikepdf, pdfium, Pillow...) load on first use, so that the command
# line can set up its signal handling before anything heavy is imported.
_LAZY = {
    "Manifest": "dhrbuild.manifest",
    "load_manifest": "dhrbuild.manifest",
    "manifest_from_dict": "dhrbuild.manifest",
    "BuildResult": "dhrbuild.pipeline",
    "PartResult": "dhrbuild.pipeline",
    "assemble": "dhrbuild.pipeline",
    "validate": "dhrbuild.pipeline",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dhrbuild' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "BuildResult",
    "DhrbuildError",
    "ExitCode",
    "Manifest",
    "PartResult",
    "__version__",
    "assemble",
    "errors",
    "load_manifest",
    "manifest_from_dict",
    "validate",
]
