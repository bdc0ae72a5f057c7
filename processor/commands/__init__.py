"""Sub-commands of ``tokentrace``: one module each, see ``processor/cli.py``."""
