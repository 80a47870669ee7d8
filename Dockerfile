# CCN Graph: the web service with its managed Oxigraph store (the `oxigraph` PyPI package puts the
# server binary beside Python). Kept consistent with the Makefile: the same install (`pip install .`)
# and the same command (`ccn-graph serve`). Not built where CCN Graph is developed (no container
# runtime there): test it in your environment.
FROM python:3.11-slim-bookworm

RUN useradd --system --home-dir /var/lib/ccn-graph --create-home ccn-graph
WORKDIR /opt/ccn-graph
COPY pyproject.toml README.md Makefile ./
COPY ccn_graph ccn_graph
COPY server server
COPY ontology ontology
COPY shapes shapes
COPY data data
RUN python -m pip install --no-cache-dir .

USER ccn-graph
ENV CCN_DATA_DIR=/var/lib/ccn-graph \
    CCN_HOST=0.0.0.0 \
    CCN_PORT=8000
VOLUME ["/var/lib/ccn-graph"]
EXPOSE 8000
# SIGINT stops gunicorn's workers and the managed store cleanly.
STOPSIGNAL SIGINT
CMD ["ccn-graph", "serve"]
