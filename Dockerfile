# The Mallette app and job worker image (used by compose.yaml).
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    postgresql-client make \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --home /opt/mallette mallette
WORKDIR /opt/mallette
COPY . .
RUN python -m venv .venv \
 && .venv/bin/pip install --no-cache-dir -e . \
 && .venv/bin/pybabel compile -d app/web/translations \
 && mkdir -p instance /var/lib/mallette/builds \
 && chown -R mallette:mallette instance /var/lib/mallette
USER mallette
EXPOSE 8000
CMD [".venv/bin/gunicorn", "-c", "python:app.gunicorn_conf", "--workers", "4", "--threads", "4", "--bind", "0.0.0.0:8000", "app:create_app()"]
