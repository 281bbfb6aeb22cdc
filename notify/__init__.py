"""DingTalk notifications through the user's gateway: client, stand-in, templates, outbox dispatch."""
