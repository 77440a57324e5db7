"""The notifications service's API blueprints, one per resource."""
