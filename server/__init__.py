"""HurriNet Dispatch server: owns the domain model, persists it, serves dispatch positions."""
