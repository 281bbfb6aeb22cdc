"""Read models that follow the ledger: each can be rebuilt from the ledger alone."""
