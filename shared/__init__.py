"""Code every service of the platform shares: settings, database, errors, auth, paging, events."""
