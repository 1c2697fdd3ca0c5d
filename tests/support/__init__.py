"""Helpers shared by the tests: real servers and fixtures logic kept out of conftest."""
