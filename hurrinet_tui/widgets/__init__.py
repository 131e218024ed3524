"""The workstation's widgets; each reads the replica and renders one part of the picture."""
