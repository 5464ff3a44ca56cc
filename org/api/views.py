from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from org import selectors
from org.filtersets import (
    BusinessServiceFilterSet,
    ColleagueFilterSet,
    TeamFilterSet,
    UserFilterSet,
)
from org.models import User
from org.roles import is_staff_side, request_user
from servicedesk.api import error_responses
from servicedesk.errors import ValidationFailed

from .serializers import (
    BusinessServiceSerializer,
    ColleagueSerializer,
    MeSerializer,
    TeamSerializer,
    UserSerializer,
)


class MeView(APIView):
    """The signed-in user, with derived roles and teams."""

    @extend_schema(responses={200: MeSerializer, **error_responses(401)})
    def get(self, request: Request) -> Response:
        user = (
            User.objects.prefetch_related("teams")
            .select_related("department", "manager")
            .get(pk=request_user(request).pk)
        )
        return Response(MeSerializer(user).data)


@extend_schema(responses={200: UserSerializer, **error_responses(400, 401, 404)})
class UserViewSet(viewsets.ReadOnlyModelViewSet):
    """The people directory. Plain requesters see name and department only (the other fields
    are null) and may filter by name, department and team only."""

    serializer_class = UserSerializer
    filterset_class = UserFilterSet  # documents every filter; requesters get ColleagueFilterSet

    def _staff(self) -> bool:
        return is_staff_side(request_user(self.request))

    def get_serializer_class(self):
        return UserSerializer if self._staff() else ColleagueSerializer

    def get_queryset(self):
        return selectors.user_directory(user=request_user(self.request)).order_by("username")

    def filter_queryset(self, queryset):
        params = self.request.query_params
        filterset_class = UserFilterSet if self._staff() else ColleagueFilterSet
        refused = sorted(
            set(params) & (set(UserFilterSet.base_filters) - set(filterset_class.base_filters))
        )
        if refused:
            raise ValidationFailed(
                "Requesters cannot filter people by " + ", ".join(refused) + ".",
                details={name: ["Not a filter requesters can use."] for name in refused},
            )
        filterset = filterset_class(params, queryset=queryset, request=self.request)
        if not filterset.is_valid():
            raise ValidationFailed("Some filters are not valid.", details=filterset.errors)
        return filterset.qs


@extend_schema(responses={200: TeamSerializer, **error_responses(401, 404)})
class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    """Assignment groups with their lead and members."""

    serializer_class = TeamSerializer
    filterset_class = TeamFilterSet

    def get_queryset(self):
        return selectors.team_list(user=request_user(self.request)).order_by("name")


@extend_schema(responses={200: BusinessServiceSerializer, **error_responses(401, 404)})
class BusinessServiceViewSet(viewsets.ReadOnlyModelViewSet):
    """Business services and the team that owns each."""

    serializer_class = BusinessServiceSerializer
    filterset_class = BusinessServiceFilterSet

    def get_queryset(self):
        return selectors.service_list(user=request_user(self.request)).order_by("name")
