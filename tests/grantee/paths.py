def feed_path(page, name="feed", **kwargs):
    """The path of one of ``page``'s feed routes, as autodiscovery and aggregators see it."""
    return page.url + page.reverse_subpage(name, kwargs=kwargs)
