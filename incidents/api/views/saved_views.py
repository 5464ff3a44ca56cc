"""/api/v1/saved-views/: an analyst's own named queue views (tab + filters + sort)."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from incidents import access, selectors, services
from incidents.api.serializers import (
    SavedViewInputSerializer,
    SavedViewSerializer,
    SavedViewUpdateSerializer,
)
from incidents.models import SavedView
from org.models import User
from org.roles import request_user
from servicedesk.api import ApiViewSet, error_responses
from servicedesk.errors import NotFound, PermissionDenied

from .common import valid


class SavedViewViewSet(ApiViewSet):
    """Your saved queue views; nobody sees anyone else's. For analysts and managers."""

    queryset = SavedView.objects.none()
    serializer_class = SavedViewSerializer

    def _user(self) -> User:
        user = request_user(self.request)
        if not access.is_agent(user):
            raise PermissionDenied("Saved views are for analysts and managers.")
        return user

    def _view(self) -> SavedView:
        view = selectors.saved_views(user=self._user()).filter(pk=self._pk()).first()
        if view is None:
            raise NotFound("No such saved view.")
        return view

    def _pk(self) -> int:
        try:
            return int(self.kwargs["pk"])
        except (TypeError, ValueError):
            return 0

    @extend_schema(
        summary="Your saved queue views",
        responses={200: SavedViewSerializer(many=True), **error_responses(401, 403)},
    )
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.saved_views(user=self._user()))
        context = self.get_serializer_context()
        return self.get_paginated_response(
            SavedViewSerializer(page, many=True, context=context).data
        )

    @extend_schema(
        summary="Save a queue view",
        request=SavedViewInputSerializer,
        responses={201: SavedViewSerializer, **error_responses(400, 401, 403, 409)},
    )
    def create(self, request: Request) -> Response:
        user = self._user()
        data = valid(SavedViewInputSerializer, request.data)
        view = services.saved_view_create(actor=user, **data)
        return Response(
            SavedViewSerializer(view, context=self.get_serializer_context()).data,
            status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="One saved view",
        responses={200: SavedViewSerializer, **error_responses(401, 403, 404)},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(
            SavedViewSerializer(self._view(), context=self.get_serializer_context()).data
        )

    @extend_schema(
        summary="Rename or change a saved view",
        request=SavedViewUpdateSerializer,
        responses={200: SavedViewSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        user = self._user()
        data = valid(SavedViewUpdateSerializer, request.data)
        view = services.saved_view_update(actor=user, view=self._pk(), **data)
        return Response(SavedViewSerializer(view, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Delete a saved view",
        request=None,
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def destroy(self, request: Request, pk: str) -> Response:
        services.saved_view_delete(actor=self._user(), view=self._pk())
        return Response(status=status.HTTP_204_NO_CONTENT)
