"""What organisers use: sign-in, the organiser API and pages, rosters, presence, exports."""
