"""Checks of Assignment 3, one module per notebook."""
