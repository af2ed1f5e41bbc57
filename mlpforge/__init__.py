"""mlpforge: training-as-a-service for multi-layer perceptrons."""

__version__ = "0.1.0"
