"""Template tags for pages of apps below this one (a group's page), which must not import it.

`{% load events_tags %}{% group_events group %}` renders a group's next events; the page must
also load events/events.css.
"""

from django import template

from events.selectors import group_upcoming_events

register = template.Library()


@register.inclusion_tag("events/includes/_group_events.html")
def group_events(group, limit: int = 5) -> dict:
    return {"group": group, "group_events": group_upcoming_events(group, limit=limit)}
