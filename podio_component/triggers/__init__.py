"""Polling triggers: one module per trigger, `process(msg, cfg, snapshot)` emits data and
snapshots."""
