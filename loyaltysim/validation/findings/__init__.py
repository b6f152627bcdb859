"""One module per validation finding (see :mod:`loyaltysim.validation.registry`)."""
