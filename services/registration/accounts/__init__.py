"""Who may use the organiser area: sign-in, passwords, the second factor, personal API
tokens, invitations, each event's team and, for administrators, every account."""
