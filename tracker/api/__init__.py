"""The HTTP layer: FastAPI app, dependencies, routes."""
