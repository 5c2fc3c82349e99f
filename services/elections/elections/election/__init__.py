"""Elections: lifecycle, candidates, the frozen roll, ballots, the public log and certification."""
