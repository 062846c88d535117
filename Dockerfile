# Multi-stage: build a wheel with its pinned dependencies, run as a non-root user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY src ./src
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --upgrade pip \
    && /opt/venv/bin/pip install --no-cache-dir -c constraints.txt .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 capacity
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY alembic.ini ./
COPY migrations ./migrations
ENV PATH=/opt/venv/bin:$PATH \
    CAPACITY_ALEMBIC_INI=/app/alembic.ini \
    CAPACITY_HOST=0.0.0.0 \
    PYTHONUNBUFFERED=1
USER capacity
EXPOSE 8000
# CAPACITY_DATABASE_URL, CAPACITY_ADMIN_TOKEN and CAPACITY_ENCRYPTION_KEY must be provided.
CMD ["capacity-service", "serve"]
