"""Embedded open data (installed as ``patchplan.data``); see SOURCES.md."""
