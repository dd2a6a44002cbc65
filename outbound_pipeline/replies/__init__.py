"""Reply text cleaning and classification: pure logic, no Dagster and no database.

- :mod:`.cleaning` turns a stored reply body (HTML or text) into the prospect's own words.
- :mod:`.rules` decides the unambiguous kinds (bounces, auto-replies, unsubscribes, referrals)
  and extracts return dates and referred people.
- :mod:`.model` is the trained model for the rest, built from the labelled set in
  ``labelled/``.
- :mod:`.classifier` puts them together (and the optional remote classifier in :mod:`.remote`).
"""
