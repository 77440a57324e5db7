"""What organisers use to run their events: events, groups and dates, rosters, presence,
exports, evaluations' figures and the journal."""
