"""Podio items in the app's own terms: field values read into `values`, and back."""
