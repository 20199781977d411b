"""Podio webhooks for an instant trigger: the flow's address and secret, the hook calls,
registering and removing a flow's hooks, reading a delivery, and remembering what was
emitted."""
