# capmodel for autograders (docs/editors.md):
#   docker build -t capmodel .
#   docker run --rm -v "$PWD:/work" capmodel verify my.cap --json --no-render
FROM python:3.11-slim

# Graphviz draws the counterexample diagrams
RUN apt-get update \
    && apt-get install -y --no-install-recommends graphviz \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/capmodel
# setup.py copies specs/ into the package (`capmodel examples`); the versions
# come from requirements.lock. Without Z3: for --engine z3 and `capmodel
# infer`, install '.[z3]' instead of '.' (59 MB more).
COPY pyproject.toml setup.py README.md LICENSE requirements.lock ./
COPY capmodel ./capmodel
COPY specs ./specs
RUN pip install --no-cache-dir . -c requirements.lock && capmodel --version

WORKDIR /work
ENTRYPOINT ["capmodel"]
CMD ["--help"]
