"""Atelier's common package: configuration, database, models and the domain rules."""
