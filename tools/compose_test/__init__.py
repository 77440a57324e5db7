"""make compose-test: docker-compose.yml and docs/production.md, run for real in podman."""
