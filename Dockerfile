# Production image: gunicorn serving Django (static files through whitenoise), the same image
# runs the Celery worker and beat. Runs as an unprivileged user.
FROM python:3.11-slim-bookworm AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext \
    libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system rohstoff && useradd --system --gid rohstoff --home /app --shell /usr/sbin/nologin rohstoff

WORKDIR /app
COPY pyproject.toml README.md ./
COPY rohstoff ./rohstoff
COPY agency ./agency
COPY industry ./industry
COPY tradinghouse ./tradinghouse
COPY contracts ./contracts
RUN pip install .
COPY . .

# Static files and translations are built into the image; a throwaway key is enough for that.
RUN SECRET_KEY=build-only DATABASE_URL=sqlite:////tmp/build.sqlite3 python manage.py collectstatic --no-input -v0 \
 && SECRET_KEY=build-only DATABASE_URL=sqlite:////tmp/build.sqlite3 python manage.py compilemessages --ignore='.venv*' -v0 \
 && rm -f /tmp/build.sqlite3 \
 && mkdir -p /var/lib/rohstoff/media /var/lib/rohstoff/secrets \
 && chown -R rohstoff:rohstoff /var/lib/rohstoff && chmod 700 /var/lib/rohstoff/secrets

USER rohstoff
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD ["python", "scripts/healthcheck"]
# A SECRET_KEY from the environment, or one generated once into /var/lib/rohstoff/secrets.
ENTRYPOINT ["/app/scripts/docker-entrypoint"]
CMD ["gunicorn", "rohstoff.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
