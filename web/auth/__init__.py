"""Who is asking and what they may do: sessions, API tokens, CSRF, roles and login throttling."""
