"""Plumbing shared by the stages: git, http, files, text."""
