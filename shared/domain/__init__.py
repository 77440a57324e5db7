"""The domain rules, each in one place: what registering, places, attendance, certificates,
evaluations, accounts and privacy mean, as plain functions that take a session. Every
service calls them; none writes a rule of its own."""
