"""What the component calls on the platform: the step and a credential's accounts (`api`),
the Secrets API (`secrets`), service results (`results`). Needs no extra: actions may use it."""
