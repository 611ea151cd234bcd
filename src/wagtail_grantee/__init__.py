"""Grantee page types with automatic feeds, a Facebook-notes importer and an aggregator."""

__version__ = "0.1.0.dev0"
