"""Storage: the SQLModel tables, the engine and migrations, and the store that loads and writes the world."""
