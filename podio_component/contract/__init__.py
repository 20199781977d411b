"""What the platform sees: the descriptor, messages, events, the By ID object types."""
