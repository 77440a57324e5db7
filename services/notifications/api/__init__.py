"""The delivery log's JSON API for organisers, one blueprint per resource."""
