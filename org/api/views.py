from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from org import selectors, services
from org.filtersets import (
    BusinessServiceFilterSet,
    ColleagueFilterSet,
    TeamFilterSet,
    UserFilterSet,
)
from org.models import ApiToken, BusinessCalendar, User
from org.roles import is_staff_side, request_user
from servicedesk.api import (
    ApiView,
    ApiViewSet,
    InputSerializer,
    ReadOnlyApiViewSet,
    error_responses,
)
from servicedesk.errors import ValidationFailed

from .serializers import (
    ApiTokenCreatedSerializer,
    ApiTokenCreateInputSerializer,
    ApiTokenSerializer,
    BusinessCalendarInputSerializer,
    BusinessCalendarSerializer,
    BusinessCalendarUpdateInputSerializer,
    BusinessServiceSerializer,
    ColleagueSerializer,
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


class AwayInputSerializer(InputSerializer):
    away = serializers.BooleanField(help_text="True: away (routing assigns nothing new).")
    until = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Back at this time (optional)."
    )


class AwaySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    is_away = serializers.BooleanField()
    away_until = serializers.DateTimeField(allow_null=True)


@extend_schema(responses={200: UserSerializer, **error_responses(400, 401, 404)})
class UserViewSet(ReadOnlyApiViewSet):
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

    @extend_schema(
        summary="Mark someone away or present (themselves, a lead of their team, an admin)",
        request=AwayInputSerializer,
        responses={200: AwaySerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def away(self, request: Request, pk: str) -> Response:
        person = self.get_object()
        serializer = AwayInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        person = services.user_set_away(
            user=person, actor=request_user(request), away=data["away"], until=data.get("until")
        )
        return Response(AwaySerializer(person).data)


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


TOKEN_ID = OpenApiParameter(
    "id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The token's id (its first characters).",
)


class ApiTokenViewSet(ApiViewSet):
    """Your API tokens: create (the secret is shown once), list, revoke. Each has a scope
    (``read`` or ``read-write``) and expires after 1 to 366 days."""

    queryset = ApiToken.objects.none()  # for the schema; reads go through the selector
    serializer_class = ApiTokenSerializer
    id_parameter = TOKEN_ID
    lookup_field = "token_key"
    lookup_url_kwarg = "id"

    def get_queryset(self):
        return selectors.api_tokens_for(user=request_user(self.request))

    @extend_schema(summary="Your tokens (never their secrets)")
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        context = self.get_serializer_context()
        return self.get_paginated_response(
            ApiTokenSerializer(page, many=True, context=context).data
        )

    @extend_schema(
        summary="Create a token: the response holds its secret, once",
        request=ApiTokenCreateInputSerializer,
        responses={201: ApiTokenCreatedSerializer, **error_responses(400, 401, 403, 409)},
    )
    def create(self, request: Request) -> Response:
        serializer = ApiTokenCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, plaintext = services.api_token_create(
            user=request_user(request), **serializer.validated_data
        )
        context = {**self.get_serializer_context(), "plaintext": plaintext}
        return Response(
            ApiTokenCreatedSerializer(token, context=context).data, status.HTTP_201_CREATED
        )

    @extend_schema(summary="One token")
    def retrieve(self, request: Request, id: str) -> Response:
        token = self.get_queryset().filter(token_key=id).first()
        if token is None:
            raise Http404("No such token.")
        return Response(ApiTokenSerializer(token, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Revoke a token: anything using it is refused from now on",
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def destroy(self, request: Request, id: str) -> Response:
        services.api_token_revoke(user=request_user(request), token_key=id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BusinessCalendarViewSet(ApiViewSet):
    """Business-hours calendars the SLA clocks run on: working hours per weekday in a time
    zone, minus holidays. Everyone signed in reads; administrators and process owners edit
    (``hours`` and ``holidays``, when sent, replace the whole set)."""

    queryset = BusinessCalendar.objects.none()
    serializer_class = BusinessCalendarSerializer

    def _pk(self) -> int:
        try:
            return int(self.kwargs["pk"])
        except (TypeError, ValueError):
            return 0

    @extend_schema(
        summary="Business calendars",
        responses={200: BusinessCalendarSerializer(many=True), **error_responses(401)},
    )
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.calendars())
        return self.get_paginated_response(
            BusinessCalendarSerializer(page, many=True, context=self.get_serializer_context()).data
        )

    @extend_schema(
        summary="One business calendar",
        responses={200: BusinessCalendarSerializer, **error_responses(401, 404)},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        calendar = selectors.calendars().filter(pk=self._pk()).first()
        if calendar is None:
            raise Http404("No such calendar.")
        return Response(
            BusinessCalendarSerializer(calendar, context=self.get_serializer_context()).data
        )

    @extend_schema(
        summary="Add a calendar (administrators and process owners)",
        request=BusinessCalendarInputSerializer,
        responses={201: BusinessCalendarSerializer, **error_responses(400, 401, 403, 409)},
    )
    def create(self, request: Request) -> Response:
        serializer = BusinessCalendarInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        calendar = services.calendar_save(
            actor=request_user(request), **dict(serializer.validated_data)
        )
        return Response(
            BusinessCalendarSerializer(
                selectors.calendars().get(pk=calendar.pk), context=self.get_serializer_context()
            ).data,
            status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Change a calendar (administrators and process owners)",
        request=BusinessCalendarUpdateInputSerializer,
        responses={200: BusinessCalendarSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        serializer = BusinessCalendarUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        calendar = services.calendar_save(
            actor=request_user(request), calendar=self._pk(), **dict(serializer.validated_data)
        )
        return Response(
            BusinessCalendarSerializer(
                selectors.calendars().get(pk=calendar.pk), context=self.get_serializer_context()
            ).data
        )
