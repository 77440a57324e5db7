"""Domain rules used by more than one service, as plain functions that take a session."""
