"""Developer and operator tooling: the embedded database, migrations, the process runner."""
