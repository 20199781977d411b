"""Actions: each module exposes process(msg, cfg, snapshot=None)."""
