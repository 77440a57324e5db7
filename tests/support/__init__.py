"""Helpers the tests share: real servers on free ports, HTTP waits, data factories."""
