"""The demo: a throwaway server with a simulated hurricane landfall."""
