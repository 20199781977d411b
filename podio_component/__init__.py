"""Podio component for elastic.io-style integration flows."""

__version__ = "0.13.0"
