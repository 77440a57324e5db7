"""Atelier's three services: registration, notifications and calendar."""
