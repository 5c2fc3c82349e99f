"""Grid governance service: Grids, grid workers, inspections, hazards, events and N-minute service circles."""
