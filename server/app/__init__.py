"""The application layer: the command runner, one handler per command, the entity codec, queries."""
