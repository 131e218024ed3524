"""`hurrinet web`: the workstation in a browser, served by textual-serve (docs/web.md)."""
