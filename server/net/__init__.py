"""The network edge: the websocket hub, accounts and tokens, alert delivery, the serve loop."""
