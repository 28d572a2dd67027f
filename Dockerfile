FROM python:3.13-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir -e ".[dev]" && useradd --create-home mutual
COPY . .
# The one build step, also run by tests/deploy/test_production_build.py: static files with
# the production storage and its manifest (DEBUG off, as the image runs), checked.
RUN PYTHON=python scripts/build
USER mutual
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
