"""Models that remember their saved values, so a binding can ask what a save changed."""

from __future__ import annotations

from typing import Any

from django.db import models


class ChangeTracking(models.Model):
    """Keeps the values of ``tracked_fields`` as last loaded or saved.

    ``post_save`` receivers run inside ``save()``, before the snapshot is renewed, so they see
    exactly what this save changed.
    """

    tracked_fields: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        self._remember()

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> Any:
        instance = super().from_db(db, field_names, values)
        instance._remember()
        return instance

    def _remember(self) -> None:
        self._saved_values = {name: self.__dict__.get(name) for name in self.tracked_fields}

    def changed_fields(self) -> set[str]:
        saved = getattr(self, "_saved_values", None)
        if saved is None:
            return set(self.tracked_fields)
        return {name for name in self.tracked_fields if self.__dict__.get(name) != saved[name]}
