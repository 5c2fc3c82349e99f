"""Service catalogue: per-community service types with forms, handlers and deadline policies."""
