"""HurriNet Dispatch workstation (Textual). Arrives with the workstation issue."""
