# The component's container image: `podio-component sailor` runs a step, and service
# containers run `podio-component service verifyCredentials`.
# Untested here: this project's machines have no Docker engine and cannot pull base images.
FROM python:3.11-slim
WORKDIR /src
COPY pyproject.toml README.md component.json ./
COPY podio_component ./podio_component
# The runtime extra (pika, cryptography) is what a step's container needs. Compiled files of
# the installed copy ship in the image (python -I: not the source in this directory), so no
# container compiles its modules at start.
RUN pip install --no-cache-dir '.[runtime]' \
    && python -m compileall -q "$(python -I -c 'import os, podio_component; print(os.path.dirname(podio_component.__file__))')" \
    && rm -rf /src
WORKDIR /
USER 1000:1000
ENTRYPOINT ["podio-component"]
CMD ["sailor"]
