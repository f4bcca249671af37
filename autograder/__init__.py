"""Instructor tooling: release assignments, grade submissions, check for leaks.

Students never import this package; ``cs231n`` never imports it either.
"""
