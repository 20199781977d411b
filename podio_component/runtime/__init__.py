"""The platform runtime ("sailor"): runs the component's actions on messages from RabbitMQ."""
