"""The Open Inference Protocol (KServe/Triton "V2"): tensors in, tensors out."""
