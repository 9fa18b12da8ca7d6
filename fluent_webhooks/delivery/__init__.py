"""The pipeline of one batch of deliveries: ``pipeline`` runs ``build`` (the signed request),
``send`` (side by side), ``decide`` (a typed outcome) and ``record`` (rows) in turn."""
