"""Talking to Podio: URL pinning and the transport, the retry policy, the response, the
token endpoint."""
