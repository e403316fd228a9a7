"""The local web page of dhrbuild: ``dhrbuild serve``."""
