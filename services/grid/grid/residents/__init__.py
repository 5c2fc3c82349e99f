"""What the residents (employees and enterprise representatives) see of the grid: their own reports,
their enterprise's events, hazards and inspections, their answer to a rectification request, and
their building's grid worker."""
