"""The emulated platform: its API (secrets, steps, accounts, hooks data, service results), a
flow step's queues on RabbitMQ, and a local broker."""
