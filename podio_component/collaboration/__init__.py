"""Podio's collaboration half: comments, tasks and status messages, each written once where
it carries an `external_id`, and the people a write names (by id or e-mail)."""
