# capmodel for autograders (docs/editors.md):
#   docker build -t capmodel .
#   docker run --rm -v "$PWD:/work" capmodel verify my.cap --json --no-render
FROM python:3.11-slim

# Graphviz draws the counterexample diagrams
RUN apt-get update \
    && apt-get install -y --no-install-recommends graphviz \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/capmodel
COPY pyproject.toml README.md LICENSE* ./
COPY capmodel ./capmodel
RUN pip install --no-cache-dir . && capmodel --version

WORKDIR /work
ENTRYPOINT ["capmodel"]
CMD ["--help"]
