"""Signing in to Podio outside the platform: the flows, the local credential store and the
token source that refreshes a stored credential."""
