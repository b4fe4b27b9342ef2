"""Pure domain model of the planning service: organisation, indicator templates, work plans (SKP)."""
