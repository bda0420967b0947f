"""YAML files from users, bounded before parsing: size, nesting depth and aliases.

PyYAML's composer recurses once per nesting level (10,000 nested ``[`` end in a RecursionError)
and aliases can multiply a small file into a huge structure ("billion laughs"). The scanner
does not recurse, so the tokens are counted first; only a document within the bounds is
loaded (with ``yaml.safe_load``). Text is decoded by `textio` (encodings named or given).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeAlias

import yaml

from mmsis.data import textio
from mmsis.errors import InputError

YAMLValue: TypeAlias = (
    "None | bool | int | float | str | date | datetime | list[YAMLValue] | dict[Any, YAMLValue]"
)
"""What `yaml.safe_load` gives: scalars (dates too), lists and mappings of them."""

MAX_YAML_BYTES = 10 * 1024 * 1024
"""A settings file (a scenario with inline district tables, a profile, definitions) is a few
KB to a few MB; larger is not a settings file."""
MAX_YAML_DEPTH = 32
MAX_YAML_ALIASES = 1000
_OPEN = (yaml.BlockMappingStartToken, yaml.BlockSequenceStartToken,
         yaml.FlowMappingStartToken, yaml.FlowSequenceStartToken)
_CLOSE = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)


def _problem(exc: yaml.YAMLError) -> tuple[str, int | None]:
    """A YAML error's problem and its 1-based line."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return str(problem), (mark.line + 1 if mark is not None else None)


def check_yaml(text: str, file: str | None = None, max_depth: int = MAX_YAML_DEPTH) -> None:
    """Refuse (InputError) YAML nested deeper than ``max_depth`` or with too many aliases,
    from its tokens (no recursion, nothing built)."""
    depth = aliases = 0
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, _OPEN):
                depth += 1
                if depth > max_depth:
                    raise InputError(f"the YAML is nested deeper than {max_depth} levels",
                                     file=file, row=token.start_mark.line + 1)
            elif isinstance(token, _CLOSE):
                depth -= 1
            elif isinstance(token, yaml.AliasToken):
                aliases += 1
                if aliases > MAX_YAML_ALIASES:
                    raise InputError(f"the YAML has more than {MAX_YAML_ALIASES} aliases (*name)",
                                     file=file, row=token.start_mark.line + 1)
    except yaml.YAMLError as exc:
        problem, line = _problem(exc)
        raise InputError(f"not valid YAML: {problem}", file=file, row=line) from None


def loads_yaml(text: str, file: str | None = None,
               max_depth: int = MAX_YAML_DEPTH) -> YAMLValue:
    """Parse YAML text after `check_yaml`; syntax errors name the line."""
    check_yaml(text, file, max_depth)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        problem, line = _problem(exc)
        raise InputError(f"not valid YAML: {problem}", file=file, row=line) from None
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise InputError("the YAML is nested too deeply", file=file) from None


def load_yaml(path: str | Path, encoding: str | None = None,
              max_bytes: int = MAX_YAML_BYTES) -> YAMLValue:
    """Read a user's YAML file: found, a file, at most ``max_bytes``, decoded, bounded, parsed."""
    p = Path(path)
    if not p.exists():
        raise InputError("file not found", file=str(p))
    if not p.is_file():
        raise InputError("not a regular file", file=str(p))
    size = p.stat().st_size
    if size > max_bytes:
        raise InputError(f"the file is {size:,} bytes; a settings file is at most "
                         f"{max_bytes:,}", file=str(p))
    return loads_yaml(textio.read_text(p, encoding), str(p))
