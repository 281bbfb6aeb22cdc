"""The event-sourced ledger: aggregates, rules, the Ledger application and its stores."""
