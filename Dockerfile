FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY worker ./worker
COPY config ./config
COPY mappings ./mappings
COPY kibana ./kibana
COPY seeds ./seeds
RUN pip install -e . && useradd --create-home --uid 10001 newsworker && mkdir -p /data /app/var && chown newsworker /data /app/var
USER newsworker
ENV NEWSWORKER_DATA_DIR=/data
CMD ["celery", "-A", "worker.celery_app", "worker", "--loglevel", "INFO"]
