"""Files between Podio and the platform's attachments: the private temporary files bytes pass
through, the checks made before anything is sent, Podio's file endpoints, and the sources an
upload reads from."""
