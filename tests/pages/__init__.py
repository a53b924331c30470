"""Tests of the web pages (maps for akimat officials and unions)."""
