"""The organiser's tools: programmes and invites, the roster and report commands, reports."""
