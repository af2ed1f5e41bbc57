"""GET /metrics: this API's own counters (across its processes) and the fleet's, from Redis."""
