"""Celery workers: thin tasks that run the engine and report through the store."""
