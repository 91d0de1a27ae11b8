"""The independent checker: rules, KPIs and the Ethical Care Charter check (shares no code with the solver)."""
