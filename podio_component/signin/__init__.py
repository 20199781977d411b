"""Signing in to Podio outside the platform, as a person does: the login and credentials
commands, the four flows and the callback server. The credentials they keep live in
`podio_component.credentials`."""
