from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from org import selectors
from org.filtersets import BusinessServiceFilterSet, TeamFilterSet, UserFilterSet
from org.models import User
from org.roles import request_user
from servicedesk.api import ApiView, ReadOnlyApiViewSet, error_responses

from .serializers import (
    BusinessServiceSerializer,
    MeSerializer,
    TeamSerializer,
    UserSerializer,
)


class MeView(ApiView):
    """The signed-in user, with derived roles and teams."""

    @extend_schema(responses={200: MeSerializer, **error_responses(401)})
    def get(self, request: Request) -> Response:
        user = (
            User.objects.prefetch_related("teams")
            .select_related("department", "manager")
            .get(pk=request_user(request).pk)
        )
        return Response(MeSerializer(user).data)


@extend_schema(responses={200: UserSerializer, **error_responses(401, 404)})
class UserViewSet(ReadOnlyApiViewSet):
    """The people directory."""

    serializer_class = UserSerializer
    filterset_class = UserFilterSet

    def get_queryset(self):
        return selectors.user_directory(user=request_user(self.request)).order_by("username")


@extend_schema(responses={200: TeamSerializer, **error_responses(401, 404)})
class TeamViewSet(ReadOnlyApiViewSet):
    """Assignment groups with their lead and members."""

    serializer_class = TeamSerializer
    filterset_class = TeamFilterSet

    def get_queryset(self):
        return selectors.team_list(user=request_user(self.request)).order_by("name")


@extend_schema(responses={200: BusinessServiceSerializer, **error_responses(401, 404)})
class BusinessServiceViewSet(ReadOnlyApiViewSet):
    """Business services and the team that owns each."""

    serializer_class = BusinessServiceSerializer
    filterset_class = BusinessServiceFilterSet

    def get_queryset(self):
        return selectors.service_list(user=request_user(self.request)).order_by("name")
