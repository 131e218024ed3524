"""Deployment reference data: the file format's loader and the shipped demo sets."""

from pathlib import Path

from server.reference.loader import ReferenceFileError, load_reference

DEMO = Path(__file__).with_name("saint_lucia")

__all__ = ["DEMO", "ReferenceFileError", "load_reference"]
