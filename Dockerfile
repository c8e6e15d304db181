# One production image: the CLI, the API and the worker, chosen by command (docker-compose.yml runs them all).
#   docker build -t prescreen .
#   docker run --rm -v $PWD/pkgs:/data prescreen check /data/P0001
#   docker run ... prescreen serve --host 0.0.0.0 --port 8000      # the workbench / API
#   docker run ... prescreen worker --concurrency 2                 # a Celery worker
#   docker run ... prescreen metrics --port 9808                    # Prometheus exporter (queue depth)
#   docker run --entrypoint python ... prescreen -m storage.migrate upgrade
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    OMP_THREAD_LIMIT=1 PRESCREEN_HOME=/var/lib/prescreen

RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-chi-sim fonts-wqy-zenhei \
      libgl1 libglib2.0-0 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY intake intake
COPY extractors extractors
COPY validators validators
COPY storage storage
COPY prescreen prescreen
COPY synth synth
COPY web web
COPY worker.py ./
RUN pip install . && useradd --system --home /var/lib/prescreen prescreen \
 && mkdir -p /var/lib/prescreen && chown prescreen /var/lib/prescreen

USER prescreen
VOLUME ["/var/lib/prescreen"]
# 8000: `prescreen serve`; 9808: /metrics of `prescreen metrics` or of a worker with PRESCREEN_METRICS_PORT.
EXPOSE 8000 9808
ENTRYPOINT ["prescreen"]
CMD ["--help"]
