"""The HTTP API: FastAPI routers over the store; it never trains."""
