"""Activities (trainings and social events) with capacity and an ordered waiting list."""
