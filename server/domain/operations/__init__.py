"""Domain operations: each takes a `Change` and applies one dispatcher or system action,
enforcing every rule that spans entities (incident ↔ unit ↔ call ↔ resource)."""
