"""Deliberation (议事协商): the elected committee's proposals, meetings, consultations and actions."""
