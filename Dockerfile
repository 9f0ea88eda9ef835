# Bhakti: one image for every role (web, worker, scheduler, migrate); docker-compose.yml picks the
# command. Everything needed to render comes from pip (ffmpeg, espeak-ng, fonts), so the base
# image needs no system packages beyond what slim has.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=bhakti.settings \
    BHAKTI_DATA_DIR=/data

WORKDIR /app

COPY requirements.txt ./
RUN pip install -r requirements.txt

# A non-root user (uid 1000) owns the data volume; the code stays root-owned and read-only to it.
RUN useradd --uid 1000 --user-group --home-dir /home/bhakti --create-home bhakti \
    && mkdir -p /data && chown bhakti:bhakti /data

COPY --chown=root:root . .

# Static files are collected at build time (whitenoise serves them from the manifest). The
# settings need some SECRET_KEY to import with DEBUG off; this one never leaves the build step.
RUN DEBUG=0 SECRET_KEY=collectstatic-only-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz \
    python manage.py collectstatic --noinput -v 0

USER bhakti
EXPOSE 8000
VOLUME ["/data"]

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"

# The web role by default; the worker runs `python manage.py qcluster`.
CMD ["gunicorn", "bhakti.wsgi:application", "--config", "deploy/gunicorn.conf.py"]
