"""Events the planning service consumes: none yet (it is the source of organisation and plans)."""
