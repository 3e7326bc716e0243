"""When a stay notification is due (Law on Residence 2020 art. 30, Circular 55/2021).

A Vietnamese guest is notified before 23:00 on the day the stay starts; one who
arrives after 23:00, before 08:00 the next morning. A foreign guest within 12
hours of arrival (24 in remote areas: `kiosk.stay.foreign_notice_h`). Computed in
the premises' local time zone, returned with its offset."""

from __future__ import annotations

from datetime import datetime, time, timedelta

CUTOFF = time(23, 0)
NEXT_MORNING = time(8, 0)


def due_by(arrival: datetime, *, foreign: bool = False, foreign_notice_h: float = 12.0) -> datetime:
    """`arrival` must be timezone-aware and in the premises' zone."""
    if arrival.tzinfo is None:
        raise ValueError("arrival must be timezone-aware (the premises' local time)")
    if foreign:
        return arrival + timedelta(hours=foreign_notice_h)
    day = arrival.date()
    if arrival.timetz().replace(tzinfo=None) < CUTOFF:
        return datetime.combine(day, CUTOFF, tzinfo=arrival.tzinfo)
    return datetime.combine(day + timedelta(days=1), NEXT_MORNING, tzinfo=arrival.tzinfo)
