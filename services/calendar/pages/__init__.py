"""The page that lists the feeds and how to subscribe to them."""
