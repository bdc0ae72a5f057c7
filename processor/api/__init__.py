"""serve's HTTP API for readers (views, budgets), its router, and the client the CLI uses."""
