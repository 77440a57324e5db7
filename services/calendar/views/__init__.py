"""The calendar service's blueprints, one per resource."""
