"""Staff exports of the service requests service: requests with deadlines and ratings, a
community's statistics, an activity's roster (CSV or XLSX, streamed: shared/exports.py)."""
