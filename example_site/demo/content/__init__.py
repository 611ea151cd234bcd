"""Demo content that tells the seed's story: Lembaga Bhinneka, a grantee of Cipta Media.

Each module has a ``load(log)`` function that creates its part of the demo and can run
again without creating anything twice.
"""

from . import contacts, pages

LOADERS = [pages.load, contacts.load]


def load_all(log):
    for load in LOADERS:
        load(log)
