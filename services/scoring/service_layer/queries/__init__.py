"""Read side of scoring: scorecards and dashboards straight from the materialized views.

Nothing here recomputes a realisation or a proposal: reads take the stored view rows and only
aggregate them (counts, means, rankings) or attach the facts behind them. ``scorecards`` answers an
employee's scorecard, ``dashboards`` the unit and region dashboards, ``common`` what both and the
other use cases read (the period filter, closed periods, an employee's summary and rater, units).
"""
