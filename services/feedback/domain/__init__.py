"""Pure domain layer of the feedback service: no I/O, standard library only.

Modules: ``satisfaction`` (SKM/IKM), ``sampling`` (survey sample adequacy), ``calendar``
(working days), ``complaints`` (life cycle and deadlines), ``tracking_code``, ``behaviour``
(BerAKHLAK assessment), ``dated`` (dated configuration), ``periods`` (survey periods in the
region's time zone), ``survey`` (survey kinds, respondent profile), ``report`` (the SKM report's
content) and ``errors``.
"""
