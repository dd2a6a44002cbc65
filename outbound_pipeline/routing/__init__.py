"""Lead routing: pure logic, no Dagster, no database and no HTTP.

Replaces the lead routing of the old platform (seed 001): a lead arrives (API, Clay webhook or
CSV), the health gate classifies it, the routing rules pick a Smartlead campaign or leave it in
the holding pool, and its status follows the push.

- :mod:`.leads` reads intake payloads and CSV files into :class:`~.leads.IntakeLead` and shapes
  a lead for Smartlead.
- :mod:`.health` is the health gate: GREEN, YELLOW or RED, with the reasons.
- :mod:`.rules` loads and validates the routing rules and resolves the rule for a lead.
- :mod:`.status` holds the lead statuses, the audit actions, the transitions between them and
  the retry schedule of failed pushes.
"""
