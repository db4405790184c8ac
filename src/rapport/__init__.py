"""Rapport: a self-hosted social media desk for people with a business to run."""

__version__ = "0.1.0"
