"""How the grid's status sets become database constraints: one definition per concept (a `Literal`
in the domain's `states.py` or `transitions.py`), read by the models' CHECK constraints, the
schemas, the services and the OpenAPI."""

from __future__ import annotations

from collections.abc import Iterable


def one_of(column: str, values: Iterable[str]) -> str:
    """The SQL of a CHECK that `column` holds one of `values`."""
    return f"{column} IN ({', '.join(repr(value) for value in values)})"
