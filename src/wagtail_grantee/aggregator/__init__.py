"""The aggregator: follow grantees' feeds in the background and republish them as one river.

- ``models``: ``FeedSource`` (a followed feed and its fetch state), ``FeedEntry``,
  ``AggregatorPage`` (the river page with its RSS, Atom and JSON feeds).
- ``safety``: refusal of private addresses (server-side request forgery).
- ``http``: one fetch over HTTP: conditional GET, checked redirects, byte cap, timeouts.
- ``parsing``: RSS, Atom (feedparser) and JSON Feed into plain entries, HTML sanitised.
- ``fetching``: a run over the due sources, concurrent, with backoff; saves the entries.
- ``opml``: import and export of the list of sources.
- ``feeds``: the river's feeds, on the section feeds' generators and cache.
"""
