"""Credentials: every token source a step's cfg can name, and what each credential shares.

Each credential gets one token source and one requests.Session per process, cached by a
key that holds no secret. A token source hands out the current token and, when Podio
rejects it, replaces it single-flight (see `tokens.SingleFlight`).
"""

from podio_component.credentials.cache import forget_credentials
from podio_component.credentials.connect import connect, credential_for, retry_policy_for

__all__ = ["connect", "credential_for", "forget_credentials", "retry_policy_for"]
