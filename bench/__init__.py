"""Performance figures: ``python -m bench`` runs every area's benchmark."""
