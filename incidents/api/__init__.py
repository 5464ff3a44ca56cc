"""REST API for incidents and problems: viewsets over selectors, one action per transition."""
