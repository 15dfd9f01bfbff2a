# syntax=docker/dockerfile:1
# One image for web (gunicorn), worker and beat (Celery). Build: docker build -t igny8-automation .
ARG PYTHON_VERSION=3.12

# --- build: a virtualenv with the dependencies, then the static files -----------------------------
FROM python:${PYTHON_VERSION}-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH
WORKDIR /app
RUN python -m venv /opt/venv
# Dependencies in their own layer: editing the code does not reinstall them, only pyproject.toml does.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && pip install -r requirements.txt
COPY . .
# Hashed, compressed static files (admin, Swagger UI, dashboard) for WhiteNoise. Production settings
# want a database URL and a secret to load: throwaway values that live only in this RUN, never in
# the image (collectstatic connects to nothing).
RUN DATABASE_URL=postgres://build@localhost/build \
    SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    SECRETS_ENCRYPTION_KEYS="$(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
    STATIC_ROOT=/app/static \
    python manage.py collectstatic --noinput -v0

# --- runtime: the virtualenv and the code, run by an unprivileged user ------------------------------
FROM python:${PYTHON_VERSION}-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=igny8.settings \
    DATA_DIR=/data \
    STATIC_ROOT=/app/static \
    MEDIA_ROOT=/data/media \
    AUTOMATION_LOG_DIR=/data/logs/automation \
    PORT=8000
RUN groupadd --system --gid 10001 igny8 \
    && useradd --system --uid 10001 --gid igny8 --home-dir /data --no-create-home --shell /usr/sbin/nologin igny8 \
    && mkdir -p /data/media /data/logs /data/beat \
    && chown -R igny8:igny8 /data
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
# The code stays owned by root: the service can read it, not change it.
COPY --from=build /app /app
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000
# gunicorn reads ./gunicorn.conf.py (workers, threads, timeouts from the environment).
CMD ["gunicorn", "igny8.wsgi"]
