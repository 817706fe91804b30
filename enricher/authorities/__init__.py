"""The authorities: who answers for each kind of link (see ``AUTHORITIES``)."""
