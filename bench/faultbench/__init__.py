"""The fault benchmark's parts: private services, a recording receiver, faults and a report.

``bench/faults.py`` runs them; ``tests/test_faults.py`` runs that script at a small scale.
"""
