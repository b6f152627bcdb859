"""The model's mechanisms, one module each (as a Starsim module is one class).

Each module owns, for its mechanism:

* its **coefficients** - a :class:`~loyaltysim.parameters.StrictModel` section whose fields are
  mixed into :class:`loyaltysim.schema.Behaviour` (scenario keys ``behaviour.<name>``) or a
  section of its own (``network``), each with unit, default, range, meaning and source;
* a **packer** - ``coefficients(scenario)`` turns those fields into the tuple of floats its
  formulas read by the index constants declared beside the class, in field order; the numba
  kernels receive the same tuple, so both engines read one table;
* its **formulas** - small pure functions of floats, written once: the reference engine
  (:mod:`loyaltysim.agents`) calls them in Python, :mod:`loyaltysim.kernels.formulas` compiles the
  very same functions for the numba engine, which inlines them in its fused loops;
* the **tallies** it adds to the week's per-firm counts (:mod:`loyaltysim.tallies`).

The week runs them in the order of ``docs/design.md``: choice, encounter, complaints, attachment,
word of mouth, advocacy, employees, managers. Dependencies point one way: mechanisms import only
:mod:`loyaltysim.parameters`, :mod:`loyaltysim.codes` and NumPy, never the model, the engines or
the outputs.
"""
