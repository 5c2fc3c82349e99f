"""Registry service: Communities, buildings with dated jurisdiction, enterprises."""
