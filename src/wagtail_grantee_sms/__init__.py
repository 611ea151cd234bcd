"""SMS contacts with a verification workflow, and SMS sent in the background, for Wagtail."""

__version__ = "0.1.0.dev0"
