"""The core: the domain model, its errors and the solver parameters. It knows no files."""
