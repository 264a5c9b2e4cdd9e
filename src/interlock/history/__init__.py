"""Verification history: what was verified against what, what runs where, and can-i-deploy.

Every verification the contracts stage runs is recorded in an embedded SQLite store
(:mod:`.store`); :mod:`.matrix` answers can-i-deploy from it, and :mod:`.pending` decides which
interactions are still pending (never verified on the provider's main branch).
"""
