"""Performance figures: one module per area, each with a ``main()`` printing its figures."""
