"""What the process owner maintains: templates, authorities and the matrix, freeze windows.
Everyone signed in may read them (a requester sees who must authorise); the services decide
who may write."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from changes import access, selectors, services
from changes.api.serializers import (
    AuthorityInputSerializer,
    ChangeAuthoritySerializer,
    ChangeTemplateSerializer,
    FreezeInputSerializer,
    FreezeWindowSerializer,
    MatrixCellSerializer,
    MatrixInputSerializer,
    TemplateInputSerializer,
    TemplateUpdateInputSerializer,
)
from changes.choices import TemplateStatus
from changes.filtersets import FreezeWindowFilterSet
from changes.models import ChangeAuthority, ChangeTemplate, FreezeWindow
from org.roles import request_user
from servicedesk.api import ApiViewSet, error_responses, no_input

from .common import SelectorFilters, valid


def _page(view: Any, queryset: QuerySet[Any], serializer_class: type[Any]) -> Response:
    page = view.paginate_queryset(queryset)
    return view.get_paginated_response(
        serializer_class(page, many=True, context=view.get_serializer_context()).data
    )


class ChangeTemplateViewSet(ApiViewSet):
    """Standard-change templates: proposed by analysts, approved by a process owner."""

    queryset = ChangeTemplate.objects.none()
    serializer_class = ChangeTemplateSerializer

    def _templates(self) -> QuerySet[ChangeTemplate]:
        user = request_user(self.request)
        qs = selectors.template_list(user=user)
        if not access.sees_all(user):
            qs = qs.filter(status=TemplateStatus.ACTIVE)
        return qs

    def _template(self) -> ChangeTemplate:
        return (
            selectors.template_get(user=request_user(self.request), pk=self.kwargs["pk"])
            if (self._templates().filter(pk=_int(self.kwargs["pk"])).exists())
            else _missing("template")
        )

    def _out(self, template: ChangeTemplate, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.template_get(user=request_user(self.request), pk=template.pk)
        return Response(
            ChangeTemplateSerializer(fresh, context={"request": self.request}).data, code
        )

    @extend_schema(
        summary="Templates (requesters see the active ones)",
        responses={200: ChangeTemplateSerializer(many=True), **error_responses(401)},
    )
    def list(self, request: Request) -> Response:
        return _page(self, self._templates(), ChangeTemplateSerializer)

    @extend_schema(
        summary="Propose a template (a process owner approves it)",
        request=TemplateInputSerializer,
        responses={201: ChangeTemplateSerializer, **error_responses(400, 401, 403, 409)},
    )
    def create(self, request: Request) -> Response:
        data = valid(TemplateInputSerializer, request.data)
        template = services.template_propose(actor=request_user(request), **data)
        return self._out(template, status.HTTP_201_CREATED)

    @extend_schema(
        summary="One template",
        responses={200: ChangeTemplateSerializer, **error_responses(401, 404)},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return self._out(self._template())

    @extend_schema(
        summary="Edit (unless a process owner edits it, it goes back for approval)",
        request=TemplateUpdateInputSerializer,
        responses={200: ChangeTemplateSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        serializer = TemplateUpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        template = services.template_update(
            template=self._template(), actor=request_user(request), **serializer.validated_data
        )
        return self._out(template)

    @extend_schema(
        summary="Approve (process owners): the template becomes active",
        request=None,
        responses={200: ChangeTemplateSerializer, **error_responses(401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        no_input(request)
        return self._out(
            services.template_approve(template=self._template(), actor=request_user(request))
        )

    @extend_schema(
        summary="Suspend (process owners): no new changes from it",
        request=None,
        responses={200: ChangeTemplateSerializer, **error_responses(401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, pk: str) -> Response:
        no_input(request)
        return self._out(
            services.template_suspend(template=self._template(), actor=request_user(request))
        )


class ChangeAuthorityViewSet(ApiViewSet):
    """Change authorities, their members and decision rule, and the (category, risk) matrix."""

    queryset = ChangeAuthority.objects.none()
    serializer_class = ChangeAuthoritySerializer

    @extend_schema(
        summary="Change authorities",
        responses={200: ChangeAuthoritySerializer(many=True), **error_responses(401)},
    )
    def list(self, request: Request) -> Response:
        return _page(self, selectors.authority_list(), ChangeAuthoritySerializer)

    @extend_schema(
        summary="Create an authority (process owners)",
        request=AuthorityInputSerializer,
        responses={201: ChangeAuthoritySerializer, **error_responses(400, 401, 403, 409)},
    )
    def create(self, request: Request) -> Response:
        data = valid(AuthorityInputSerializer, request.data)
        authority = services.authority_save(actor=request_user(request), **data)
        return Response(
            ChangeAuthoritySerializer(
                selectors.authority_get(authority.pk), context={"request": request}
            ).data,
            status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="One authority",
        responses={200: ChangeAuthoritySerializer, **error_responses(401, 404)},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(
            ChangeAuthoritySerializer(
                selectors.authority_get(pk), context={"request": request}
            ).data
        )

    @extend_schema(
        summary="Replace an authority's name, rule and members (process owners)",
        request=AuthorityInputSerializer,
        responses={200: ChangeAuthoritySerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def update(self, request: Request, pk: str) -> Response:
        authority = selectors.authority_get(pk)
        data = valid(AuthorityInputSerializer, request.data)
        services.authority_save(actor=request_user(request), authority=authority, **data)
        return Response(
            ChangeAuthoritySerializer(
                selectors.authority_get(pk), context={"request": request}
            ).data
        )

    @extend_schema(
        methods=["GET"],
        summary="The authority matrix: (category, risk class) → chain of authorities",
        responses={200: MatrixCellSerializer(many=True), **error_responses(401)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Set one cell's chain (process owners)",
        request=MatrixInputSerializer,
        responses={200: MatrixCellSerializer(many=True), **error_responses(400, 401, 403)},
    )
    @action(detail=False, methods=["get", "post"], pagination_class=None)
    def matrix(self, request: Request) -> Response:
        if request.method == "POST":
            data = valid(MatrixInputSerializer, request.data)
            services.matrix_set(
                actor=request_user(request),
                category=data["category"],
                risk_class=data["risk_class"],
                authorities=data["authority_ids"],
            )
        cells = [
            {"category": c, "risk_class": r, "authorities": chain}
            for (c, r), chain in sorted(selectors.matrix().items())
        ]
        return Response(MatrixCellSerializer(cells, many=True).data)


class FreezeWindowViewSet(ApiViewSet):
    """Freeze and blackout windows: no change is scheduled into one on its services."""

    queryset = FreezeWindow.objects.none()
    serializer_class = FreezeWindowSerializer
    filterset_class = FreezeWindowFilterSet
    filter_backends = [SelectorFilters]

    @extend_schema(
        summary="Freeze windows",
        responses={200: FreezeWindowSerializer(many=True), **error_responses(400, 401)},
    )
    def list(self, request: Request) -> Response:
        return _page(
            self, selectors.freeze_list(filters=request.query_params), FreezeWindowSerializer
        )

    @extend_schema(
        summary="Declare a freeze window (process owners)",
        request=FreezeInputSerializer,
        responses={201: FreezeWindowSerializer, **error_responses(400, 401, 403)},
    )
    def create(self, request: Request) -> Response:
        data = valid(FreezeInputSerializer, request.data)
        freeze = services.freeze_create(actor=request_user(request), **data)
        return Response(
            FreezeWindowSerializer(
                selectors.freeze_get(freeze.pk), context={"request": request}
            ).data,
            status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="One freeze window",
        responses={200: FreezeWindowSerializer, **error_responses(401, 404)},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(
            FreezeWindowSerializer(selectors.freeze_get(pk), context={"request": request}).data
        )

    @extend_schema(
        summary="Lift a freeze window (process owners)",
        request=None,
        responses={200: FreezeWindowSerializer, **error_responses(401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def lift(self, request: Request, pk: str) -> Response:
        no_input(request)
        freeze = services.freeze_lift(freeze=selectors.freeze_get(pk), actor=request_user(request))
        return Response(
            FreezeWindowSerializer(
                selectors.freeze_get(freeze.pk), context={"request": request}
            ).data
        )


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _missing(what: str) -> Any:
    from django.http import Http404

    raise Http404(f"No such {what}.")
