"""An analyst's named queue views: a tab, its filters and a sort order."""

from urllib.parse import urlencode

from django.conf import settings
from django.db import models
from django.urls import reverse

from servicedesk import clock

SAVED_VIEW_NAME_MAX = 60
SAVED_VIEWS_PER_USER = 30


class SavedView(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(max_length=SAVED_VIEW_NAME_MAX)
    tab = models.CharField(max_length=20)
    filters = models.JSONField(default=dict, blank=True)
    ordering = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["owner", "name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="inc_saved_view_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def url(self) -> str:
        base = reverse("queue") if self.tab == "mine" else reverse("queue-tab", args=[self.tab])
        params = {**self.filters, **({"ordering": self.ordering} if self.ordering else {})}
        return f"{base}?{urlencode(params)}" if params else base
