"""dhrbuild: build the single publication PDF of a Domestic Homicide Review."""

from __future__ import annotations

from dhrbuild import errors
from dhrbuild._version import __version__
from dhrbuild.errors import DhrbuildError, ExitCode
from dhrbuild.manifest import Manifest, load_manifest, manifest_from_dict
from dhrbuild.pipeline import BuildResult, PartResult, assemble, validate

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
