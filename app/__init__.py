"""The application layer: one service per area, holding the verbs every face calls.

The CLI, the Huey tasks, the web UI and the TUI do nothing but parse, call a verb here and show
what it returns (plain dataclasses, never aggregates). Each service declares the narrow
dependencies it needs as a Protocol in its own module; the composition root (`bootstrap`) builds
them (`app.facade.App`).
"""
