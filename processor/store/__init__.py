"""ClickHouse: connection and migrations, the spool and sink feeding it, the views reading it."""
