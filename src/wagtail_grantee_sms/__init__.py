"""SMS contacts with a verification workflow and background broadcasts for Wagtail."""

__version__ = "0.1.0.dev0"
