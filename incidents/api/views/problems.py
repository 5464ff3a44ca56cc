"""Problem endpoints."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from incidents import selectors, services
from incidents.api.serializers import (
    KnownErrorInputSerializer,
    LinkIncidentsInputSerializer,
    ProblemCreateInputSerializer,
    ProblemResolveInputSerializer,
    ProblemSerializer,
    ProblemUpdateInputSerializer,
    WorkaroundInputSerializer,
)
from incidents.filtersets import ProblemFilterSet
from incidents.models import Problem
from org.roles import request_user
from servicedesk.api import ApiViewSet, error_responses, no_input

from .common import PROBLEM_ID, SelectorFilters, problem_action, valid


class ProblemViewSet(ApiViewSet):
    """Problems: the cause behind incidents (analysts, managers and admins)."""

    queryset = Problem.objects.none()  # for the schema; every read goes through a selector
    serializer_class = ProblemSerializer
    filterset_class = ProblemFilterSet
    filter_backends = [SelectorFilters]
    id_parameter = PROBLEM_ID
    paginate_ids_first = True  # the list joins many tables: page ids first, then rows

    def _problem(self) -> Problem:
        """The problem in the URL (id or PRB-reference); a write honours If-Match on it."""
        problem = selectors.problem_get(user=request_user(self.request), pk=self.kwargs["pk"])
        self.precondition(problem)
        return problem

    def _out(self, problem: Problem, code: int = status.HTTP_200_OK) -> Response:
        """Re-read through the selector, which adds the incident counts."""
        fresh = selectors.problem_get(user=request_user(self.request), pk=problem.pk)
        return Response(ProblemSerializer(fresh, context=self.get_serializer_context()).data, code)

    @extend_schema(
        summary="List problems (empty for requesters)",
        responses={200: ProblemSerializer(many=True), **error_responses(400, 401)},
    )
    def list(self, request: Request) -> Response:
        problems = selectors.problem_list(user=request_user(request), filters=request.query_params)
        page = self.paginate_queryset(problems)
        context = self.get_serializer_context()
        return self.get_paginated_response(ProblemSerializer(page, many=True, context=context).data)

    @extend_schema(
        summary="Record a problem",
        request=ProblemCreateInputSerializer,
        responses={201: ProblemSerializer, **error_responses(400, 401, 403)},
    )
    def create(self, request: Request) -> Response:
        data = valid(ProblemCreateInputSerializer, request.data)
        problem = services.problem_create(actor=request_user(request), **data)
        return self._out(problem, status.HTTP_201_CREATED)

    @extend_schema(
        summary="One problem",
        responses={200: ProblemSerializer, **error_responses(401, 404)},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(
            ProblemSerializer(self._problem(), context=self.get_serializer_context()).data
        )

    @problem_action(
        "Update the description, root cause or fix (only the fields sent)",
        ProblemUpdateInputSerializer,
        errors=(400,),
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        data = valid(ProblemUpdateInputSerializer, request.data)
        problem = services.problem_update(
            problem=self._problem(), actor=request_user(request), **data
        )
        return self._out(problem)

    @problem_action("Link incidents", LinkIncidentsInputSerializer, errors=(400,))
    @action(detail=True, methods=["post"], url_path="link-incidents")
    def link_incidents(self, request: Request, pk: str) -> Response:
        data = valid(LinkIncidentsInputSerializer, request.data)
        problem = self._problem()
        services.problem_link_incidents(
            problem=problem,
            actor=request_user(request),
            incident_ids=data["incident_ids"],
            move=data["move"],
            send_workaround=data["send_workaround"],
        )
        return self._out(problem)

    @problem_action(
        "Publish a workaround to every linked open incident",
        WorkaroundInputSerializer,
        errors=(400,),
    )
    @action(detail=True, methods=["post"], url_path="publish-workaround")
    def publish_workaround(self, request: Request, pk: str) -> Response:
        data = valid(WorkaroundInputSerializer, request.data)
        problem = self._problem()
        services.problem_publish_workaround(
            problem=problem, actor=request_user(request), workaround=data["workaround"]
        )
        return self._out(problem)

    @problem_action("Start investigating")
    @action(detail=True, methods=["post"])
    def investigate(self, request: Request, pk: str) -> Response:
        no_input(request)
        problem = services.problem_investigate(problem=self._problem(), actor=request_user(request))
        return self._out(problem)

    @problem_action("Mark as a known error", KnownErrorInputSerializer, errors=(400,))
    @action(detail=True, methods=["post"], url_path="mark-known-error")
    def mark_known_error(self, request: Request, pk: str) -> Response:
        data = valid(KnownErrorInputSerializer, request.data)
        problem = services.problem_mark_known_error(
            problem=self._problem(), actor=request_user(request), **data
        )
        return self._out(problem)

    @problem_action("Resolve with a permanent fix", ProblemResolveInputSerializer, errors=(400,))
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        data = valid(ProblemResolveInputSerializer, request.data)
        problem = services.problem_resolve(
            problem=self._problem(), actor=request_user(request), **data
        )
        return self._out(problem)

    @problem_action("Close")
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        no_input(request)
        problem = services.problem_close(problem=self._problem(), actor=request_user(request))
        return self._out(problem)
