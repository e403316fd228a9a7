"""Round-trip edits of a review's YAML files (manifest, action plan), comments and order kept."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from dhrbuild.atomic import strerror, write_file
from dhrbuild.errors import ManifestError
from dhrbuild.textfile import NotPlainText, decode_text


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # long titles stay on one line
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def read_text(path: Path) -> str:
    """The text of a review's text file, as the library reads it (UTF-8, UTF-16 by its mark).

    Raises:
        ManifestError: The file cannot be read or is not text.
    """
    try:
        return decode_text(path.read_bytes())
    except OSError as exc:
        raise ManifestError(str(path), [f"cannot be read ({strerror(exc)})"]) from None
    except NotPlainText as exc:
        raise ManifestError(
            str(path), [f"is not a plain text file{exc.where()}; save it as UTF-8 text"]
        ) from None
    except UnicodeDecodeError:
        raise ManifestError(str(path), ["is not UTF-8 text; save it as UTF-8 text"]) from None


def read_yaml(path: Path) -> Any:
    """The YAML document at ``path``, as ruamel.yaml's round-trip objects.

    Args:
        path: A manifest or a YAML action plan.

    Returns:
        The document (a ``CommentedMap`` for a mapping), or an empty mapping for an empty file.

    Raises:
        ManifestError: The file cannot be read or is not YAML.
    """
    text = read_text(path)
    try:
        data = _yaml().load(text)
    except YAMLError as exc:
        problem = str(exc).splitlines()[0] if str(exc) else "not valid YAML"
        raise ManifestError(str(path), [f"is not valid YAML: {problem}"]) from None
    return CommentedMap() if data is None else data


def dump_yaml(data: Any) -> str:
    """``data`` as YAML text, with the comments and key order it was read with."""
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def write_yaml(path: Path, data: Any) -> None:
    """Write ``data`` to ``path`` atomically (a temporary file moved into place).

    Raises:
        OutputError: The file cannot be written.
    """
    write_file(path, dump_yaml(data).encode("utf-8"))


def set_value(data: Any, keys: list[str | int], value: Any) -> None:
    """Set ``data[k1][k2]...`` to ``value``, making the mappings on the way; ``None`` removes it."""
    node = data
    for key in keys[:-1]:
        if isinstance(node, dict):
            child = node.get(key)
            if not isinstance(child, (dict, list)):
                child = CommentedMap()
                node[key] = child
            node = child
        else:
            node = node[key]
    last = keys[-1]
    if value is None:
        if isinstance(node, dict):
            node.pop(last, None)
        return
    node[last] = value
