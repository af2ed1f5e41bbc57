"""Helpers of tests/test_deployment.py: the compose file read as Docker Compose reads it, the
Dockerfile's instructions, and the generator of constraints.txt."""
