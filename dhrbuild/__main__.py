"""``python -m dhrbuild``: the same command line as ``dhrbuild``."""

from dhrbuild.cli import main

main()
