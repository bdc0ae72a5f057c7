"""OTLP receivers: HTTP and gRPC servers, and the OTLP decoding they share."""
