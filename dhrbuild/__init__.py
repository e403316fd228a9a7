"""dhrbuild: build the single publication PDF of a Domestic Homicide Review."""
