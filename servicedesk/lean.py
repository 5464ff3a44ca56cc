"""Lean output serialization: the same dict DRF's ``Serializer.to_representation`` builds, without
building the serializer's fields for every request.

DRF builds a serializer's fields on first use, per instance: for a ``ModelSerializer`` that is a
deep copy of the declared fields plus a walk over the model's fields, for the serializer and for
every nested serializer (a list of incidents built nine field sets per request, a quarter of the
request's Python time), and then walks the generic field loop for every row. Here the readable
fields of a serializer class are resolved once per process into a *plan* (which field, how its
value is read and how it is represented), and each request binds that plan to its serializer:

* a plain field (its representation depends only on the value: ``CharField``, ``IntegerField``,
  ``ChoiceField``, ``DateTimeField`` — which reads the current time zone on every call — …) is
  read and represented by the process-wide prototype field;
* a ``SerializerMethodField`` calls the method on the request's serializer (its context);
* a nested serializer is rendered by its own bound plan (one per request, not one per row),
  or, when it needs nothing of the request (plain fields, no date-times: the brief people,
  teams, services), by one renderer per process — field definitions, never values;
* any other field (hyperlinks, which read the request; related fields; a nested serializer that
  overrides ``to_representation``; list serializers) is copied and bound to the request's
  serializer once per request and used as DRF would use it.

The per-row loop is DRF's (``get_attribute`` — its ``SkipField`` and ``None`` rules — then
``to_representation``), so the output is the same dict, key for key. Nothing is cached across
requests but the field *definitions*; a serializer whose fields depend on its context must not
use this (its plan is built without one)."""

import copy
import datetime
from collections.abc import Callable, Mapping
from typing import Any, cast

from rest_framework import ISO_8601, serializers
from rest_framework import fields as drf_fields
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings

# Fields whose ``to_representation`` reads nothing but the value (and settings): safe to share.
_PLAIN = (
    drf_fields.BooleanField,
    drf_fields.CharField,  # EmailField, SlugField, URLField, … are CharFields
    drf_fields.IntegerField,
    drf_fields.BigIntegerField,  # type: ignore[attr-defined]  # (not in the stubs) settings only
    drf_fields.FloatField,
    drf_fields.DecimalField,
    drf_fields.DateTimeField,
    drf_fields.DateField,
    drf_fields.TimeField,
    drf_fields.DurationField,
    drf_fields.ChoiceField,
    drf_fields.UUIDField,
    drf_fields.ReadOnlyField,
    drf_fields.JSONField,
    drf_fields.DictField,
)

_PLAIN_REPRESENT = {cls.to_representation for cls in _PLAIN}  # a subclass may not override it
_PLAIN_KIND, _METHOD, _NESTED, _BOUND = range(4)
_PLANS: dict[type, list[tuple[str, int, Any]]] = {}


def _is_lean_nested(field: Any) -> bool:
    """A nested serializer rendered by the plain field loop (no own ``to_representation``)."""
    if not isinstance(field, serializers.Serializer):
        return False
    own = type(field).to_representation
    return own in (serializers.Serializer.to_representation, LeanSerializerMixin.to_representation)


def plan(serializer_class: type) -> list[tuple[str, int, Any]]:
    """The class's readable fields as ``(name, kind, prototype field)``, built once."""
    found = _PLANS.get(serializer_class)
    if found is None:
        prototype = serializer_class()
        found = []
        for field in prototype._readable_fields:
            if isinstance(field, drf_fields.SerializerMethodField):
                kind = _METHOD
            elif _is_lean_nested(field):
                kind = _NESTED
            elif isinstance(field, _PLAIN) and type(field).to_representation in _PLAIN_REPRESENT:
                kind = _PLAIN_KIND
            else:
                kind = _BOUND
            found.append((field.field_name, kind, field))
        _PLANS[serializer_class] = found
    return found


class Renderer:
    """A plan bound to one serializer (one request): ``render(instance)`` is the serializer's
    ``to_representation(instance)``."""

    __slots__ = ("slow", "steps")

    def __init__(self, serializer: Any, memo: dict[Any, Any] | None = None) -> None:
        memo = {} if memo is None else memo  # shared by the nested plans of one request
        steps = []
        slow = []
        for name, kind, field in plan(type(serializer)):
            if kind == _PLAIN_KIND:
                represent = _datetime(field, memo) or field.to_representation
            elif kind == _METHOD:
                represent = getattr(serializer, field.method_name)
            elif kind == _NESTED and _static(type(field)):
                represent = _static_renderer(type(field)).render
            else:
                bound = copy.deepcopy(field)
                bound.bind(name, serializer)
                represent = (
                    Renderer(bound, memo).render if kind == _NESTED else bound.to_representation
                )
            steps.append((name, _getter(field), represent))
            slow.append((name, field.get_attribute, represent))
        self.steps = steps
        self.slow = slow  # DRF's own attribute access, for a row that is a mapping

    def render(self, instance: Any) -> dict[str, Any]:
        ret: dict[str, Any] = {}
        steps = self.slow if isinstance(instance, Mapping) else self.steps
        for name, get_attribute, represent in steps:
            try:
                attribute = get_attribute(instance)
            except SkipField:
                continue
            check = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            ret[name] = None if check is None else represent(attribute)
        return ret


def _static(serializer_class: type) -> bool:
    """Whether rendering the class needs nothing of a request: only plain fields that are not
    date-times (whose time zone is the request's) and nested classes of the same kind."""
    found = _STATIC.get(serializer_class)
    if found is None:
        found = all(
            (kind == _PLAIN_KIND and not isinstance(field, drf_fields.DateTimeField))
            or (kind == _NESTED and _static(type(field)))
            for _, kind, field in plan(serializer_class)
        )
        _STATIC[serializer_class] = found
    return found


def _static_renderer(serializer_class: type) -> "Renderer":
    """The renderer of a class that needs nothing of a request (``_static``): its field
    definitions only, so one per process serves every request."""
    found = _STATIC_RENDERERS.get(serializer_class)
    if found is None:
        found = _STATIC_RENDERERS[serializer_class] = Renderer(serializer_class())
    return found


_STATIC: dict[type, bool] = {}
_STATIC_RENDERERS: dict[type, "Renderer"] = {}


def _identity(instance: Any) -> Any:
    return instance


def _getter(field: Any) -> Callable[[Any], Any]:
    """``field.get_attribute`` for a row that is not a mapping: one plain attribute is read
    directly; anything unusual (an exception, a callable value, a dotted source) is left to
    DRF, which then does exactly what it always does."""
    attrs = field.source_attrs
    if not attrs:
        return _identity
    if len(attrs) > 1:
        return cast(Callable[[Any], Any], field.get_attribute)
    attr = attrs[0]
    drf = field.get_attribute

    def get(instance: Any) -> Any:
        try:
            value = getattr(instance, attr)
        except Exception:  # DRF decides: None, SkipField, its default or its error
            return drf(instance)
        return drf(instance) if callable(value) else value

    return get


def _datetime(field: Any, memo: dict[Any, Any]) -> Callable[[Any], Any] | None:
    """``DateTimeField.to_representation`` with the format and time zone looked up once (per
    request, for all its date-time fields) instead of per value; anything but an aware
    datetime goes to DRF."""
    if type(field).to_representation is not drf_fields.DateTimeField.to_representation:
        return None
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    if output_format is None or output_format.lower() != ISO_8601:
        return None
    if hasattr(field, "timezone"):
        tz = field.timezone
    else:  # the current time zone (a context-local lookup): the same for every field
        key = type(field).default_timezone
        if key not in memo:
            memo[key] = field.default_timezone()
        tz = memo[key]
    if tz is None:
        return None
    drf = field.to_representation

    def represent(value: Any) -> Any:
        if type(value) is not datetime.datetime or value.utcoffset() is None:
            return drf(value)
        try:
            text = value.astimezone(tz).isoformat()
        except OverflowError:
            return drf(value)
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return represent


class LeanSerializerMixin:
    """Output through the serializer's plan (see the module): same dict, no per-request field
    building, no generic per-row loop. For read-only output serializers whose fields do not
    depend on the context."""

    def to_representation(self, instance: Any) -> dict[str, Any]:
        renderer = self.__dict__.get("_lean_renderer")
        if renderer is None:
            renderer = self.__dict__["_lean_renderer"] = Renderer(self)
        return renderer.render(instance)
