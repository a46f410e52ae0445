"""One module per ``timesync`` subcommand; each exposes ``register(subparsers)``."""
