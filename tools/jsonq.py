"""A tiny JSON picker for the docs' curl tours, so they need nothing but Python (no jq).

    curl ... | .venv/bin/python -m tools.jsonq id                 # a field (strings print raw)
    curl ... | .venv/bin/python -m tools.jsonq 'items[].name'     # map over a list
    curl ... | .venv/bin/python -m tools.jsonq 'items[code=X].id'  # filter, then map (one per line)
    curl ... | .venv/bin/python -m tools.jsonq 'items[-1].id'      # one item by position
    curl ... | .venv/bin/python -m tools.jsonq items.length status # several paths, one per output
Without a path the whole document is pretty-printed.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

_SEGMENT = re.compile(r"^(?P<key>[^\[\]]*)(?:\[(?P<filter>[^\]]*)\])?$")


def pick(value: Any, path: str) -> Any:
    """Follow a dotted path; `name[]` maps over a list, `name[key=value]` keeps matching items,
    `name[2]` takes one item."""
    current = value
    mapped = False
    for segment in path.split("."):
        match = _SEGMENT.match(segment)
        if match is None:
            raise SystemExit(f"jsonq: bad path segment {segment!r}")
        key, selector = match.group("key"), match.group("filter")
        if key == "length" and selector is None:
            current = len(current)
            mapped = False
            continue
        if key:
            current = [item.get(key) for item in current] if mapped else current.get(key)
        if selector is not None and selector.lstrip("-").isdigit():  # `name[0]`, `name[-1]`: one item
            current = current[int(selector)]
            mapped = False
            continue
        if selector is not None:
            if selector:
                field, _, wanted = selector.partition("=")
                current = [item for item in current if str(item.get(field)) == wanted]
            mapped = True
    return current


def render(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=2)


def main(argv: list[str]) -> int:
    document = json.load(sys.stdin)
    for path in argv or [""]:
        result = pick(document, path) if path else document
        # A filtered pick (`items[code=X].id`) of strings prints one per line, for `$(...)`.
        one_per_line = isinstance(result, list) and "=" in path and all(isinstance(item, str) for item in result)
        print("\n".join(result) if one_per_line else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
