"""The pure core of an election: rules, the count, the public lot and the hash chain (no I/O)."""
