# One image for the API and the workers; the command decides which part runs.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 10001 mlpforge

COPY pyproject.toml README.md ./
COPY mlpforge ./mlpforge
COPY engine ./engine
COPY store ./store
COPY service ./service
COPY worker ./worker
# EXTRAS=gpu builds the GPU worker's image (CuPy).
ARG EXTRAS=""
RUN if [ -n "$EXTRAS" ]; then pip install ".[$EXTRAS]"; else pip install .; fi

USER mlpforge
EXPOSE 8000

# The API; workers override the command (see docker-compose.yml).
CMD ["uvicorn", "service.main:app", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
