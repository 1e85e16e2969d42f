"""Demand files: reading and validating a CSV or XLSX file, the preview, and the bulk commit."""
