# syntax=docker/dockerfile:1
# One image for every Atelier process; docker-compose.yml picks the command per service.

# Both stages start from this image; a build argument lets a machine with no registry access
# name a local one (`--build-arg PYTHON_IMAGE=...`): it must have python 3.11 with venv and apt.
ARG PYTHON_IMAGE=python:3.11-slim

# Builder: compilers for any dependency without a wheel, the virtualenv, compiled catalogues.
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies first, from the runtime lock alone (every package pinned, every file checked
# against its hash, nothing resolved), so code changes reuse this layer. `make lock` writes it.
COPY requirements/runtime.lock ./requirements/
COPY tools/install_lock.py ./tools/
RUN python tools/install_lock.py requirements/runtime.lock
COPY pyproject.toml babel.cfg gunicorn.conf.py ./
COPY shared ./shared
COPY services ./services
RUN pybabel compile --use-fuzzy -d shared/translations \
    && python -m compileall -q shared services gunicorn.conf.py

# Runtime: the interpreter, the virtualenv and the code; no compilers.
FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    ATELIER_ENV=production \
    ATELIER_RUN_DIR=/var/lib/atelier
# WeasyPrint draws certificates with Pango, in fonts that cover Latin, Cyrillic and Arabic.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-noto-core \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 atelier \
    && useradd --system --uid 10001 --gid atelier --home-dir /var/lib/atelier --no-create-home \
       --shell /usr/sbin/nologin atelier \
    && install -d -o atelier -g atelier -m 0750 /var/lib/atelier
COPY --from=builder /opt/venv /opt/venv
# The code stays owned by root: the service user can read it, not change it.
COPY --from=builder /src /app
WORKDIR /app
USER atelier:atelier
EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py", "services.registration:create_app()"]
