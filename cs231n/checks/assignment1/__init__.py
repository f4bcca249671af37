"""Checks of Assignment 1, one module per notebook."""
