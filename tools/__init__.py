"""Developer tools: running the local stack."""
