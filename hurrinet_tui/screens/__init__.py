"""The workstation's screens."""
