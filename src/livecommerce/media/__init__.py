"""Live video: stream keys, RTMP ingest, HTTP-FLV and HLS delivery, recordings and replay."""
