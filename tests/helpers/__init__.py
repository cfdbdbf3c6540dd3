"""Helpers the tests share (imported as tests.helpers.NAME; test modules never import each other)."""
