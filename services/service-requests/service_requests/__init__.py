"""Service requests service: City, enterprise and employee service requests, activities, Open311."""
