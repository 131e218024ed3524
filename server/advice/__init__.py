"""Advice: pure, deterministic suggestions (classification, allocation, geocoding, vicinity)."""
