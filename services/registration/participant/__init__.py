"""What participants use: the public JSON API and the pages to find a session, register and
manage their registration."""
