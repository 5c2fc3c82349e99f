"""Open311 GeoReport v2 facade over the catalogue and the requests."""
