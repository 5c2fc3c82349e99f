"""Database constraints whose violation is a client's conflict (409), not a server error."""

from __future__ import annotations

from shared.errors import ConstraintProblem

# The service's unique constraints are met with ON CONFLICT (the once-rules) or never touched by a
# client's write, so none becomes a client error.
CONSTRAINT_PROBLEMS: dict[str, ConstraintProblem] = {}
