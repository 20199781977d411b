# The component's container image: `podio-component sailor` runs a step, and service
# containers run `podio-component service verifyCredentials`.
# Untested here: this project's machines have no Docker engine and cannot pull base images.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md component.json ./
COPY podio_component ./podio_component
# Compiled files ship in the image, so no container compiles its modules at start.
RUN pip install --no-cache-dir . \
    && python -m compileall -q "$(python -c 'import podio_component, os; print(os.path.dirname(podio_component.__file__))')"
USER 1000:1000
ENTRYPOINT ["podio-component"]
CMD ["sailor"]
