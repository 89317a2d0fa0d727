# newsworker worker image: the locked dependency set (constraints.txt), newsworker installed
# from its wheel (not editable), run as an unprivileged user with its data in /data.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# worker/resources links to these three folders: the wheel carries their files.
COPY pyproject.toml README.md constraints.txt ./
COPY mappings ./mappings
COPY config ./config
COPY kibana ./kibana
COPY worker ./worker
RUN pip wheel --no-deps -w /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /src/constraints.txt /tmp/constraints.txt
COPY --from=build /wheels /tmp/wheels
RUN pip install -c /tmp/constraints.txt /tmp/wheels/newsworker-*.whl \
    && rm -rf /tmp/wheels /tmp/constraints.txt \
    && useradd --create-home --uid 10001 newsworker \
    && mkdir -p /data /app \
    && chown newsworker /data /app
# The working folder holds the demo feed (file:seeds/feed.xml in config/feeds.toml).
WORKDIR /app
COPY --chown=newsworker seeds ./seeds
USER newsworker
# The store, feed state and (unless NEWSWORKER_FEEDS__REGISTRY says otherwise) feeds.toml.
ENV NEWSWORKER_DATA_DIR=/data
VOLUME ["/data"]
CMD ["celery", "-A", "worker.celery_app", "worker", "--loglevel", "INFO"]
