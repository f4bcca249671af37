"""Checks of Assignment 2, one module per notebook."""
