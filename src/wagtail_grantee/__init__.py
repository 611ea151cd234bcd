"""Grantee page types (home, sections, posts) whose homes and sections publish feeds."""

__version__ = "0.1.0.dev0"
