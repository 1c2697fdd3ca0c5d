"""Alibaba Cloud ECS client: V3-signed RPC calls, typed models and an error catalogue."""
