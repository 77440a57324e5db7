"""The registration service's blueprints, one per resource."""
