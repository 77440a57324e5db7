"""Every input and output of the organiser area, API and forms alike, with all validation,
in a module per subject: events, rosters, evaluations and the journal."""
