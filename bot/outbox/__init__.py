"""Outbound Slack messages: rows written with the change they announce, and their relay."""
