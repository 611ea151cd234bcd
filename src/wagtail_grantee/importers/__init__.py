"""Importers that bring posts from elsewhere into the site as ``PostPage``s.

``archives`` reads export archives safely, ``base`` turns items into pages (idempotent, in
one transaction, images by content), and each source has a module: ``facebook``.
"""
