"""Bridges from textemb to other toolkits (optional extras): :mod:`textemb.integrations.mteb`."""
