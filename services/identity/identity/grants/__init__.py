"""Role grants: by the API, by invitation codes and join requests, and from the registry's representative records."""
