"""Staff exports of the grid: the hazard ledger, grid events and inspections (CSV or XLSX,
streamed: shared/exports.py)."""
