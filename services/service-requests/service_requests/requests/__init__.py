"""Service requests: submission, the workflow, deadlines, comments, ratings, lists and stats."""
