"""Elections service: Legal-entity elections of each community's governance committee."""
