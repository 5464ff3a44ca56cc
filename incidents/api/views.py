"""Incident and problem endpoints. Thin: read through ``incidents.selectors`` (which scope by
user and 404 what the user may not see), validate the request's shape with an input serializer,
call exactly one service, answer with an output serializer. The services hold every rule."""

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from incidents import selectors, services
from incidents.choices import Channel
from incidents.filtersets import IncidentFilterSet, ProblemFilterSet
from incidents.models import Incident, Problem
from org.roles import request_user
from servicedesk.api import error_responses

from .serializers import (
    AssignInputSerializer,
    AttachmentInputSerializer,
    BulkAssignInputSerializer,
    CommentInputSerializer,
    IncidentAttachmentSerializer,
    IncidentCommentSerializer,
    IncidentCreateInputSerializer,
    IncidentEventSerializer,
    IncidentSerializer,
    KnownErrorInputSerializer,
    LinkIncidentsInputSerializer,
    PendInputSerializer,
    ProblemCreateInputSerializer,
    ProblemResolveInputSerializer,
    ProblemSerializer,
    ProblemUpdateInputSerializer,
    RateInputSerializer,
    ReasonInputSerializer,
    ResolveInputSerializer,
    SatisfactionSerializer,
    TriageInputSerializer,
    WorkaroundInputSerializer,
)

# The incident output nests these beyond the selector's own select_related.
OUTPUT_RELATED = ("reported_by", "problem")


class SelectorFilters(DjangoFilterBackend):
    """Documents the list's FilterSet in the schema. The filtering itself happens in the
    selector (``incident_list`` / ``problem_list``), so this backend never filters."""

    def get_filterset_class(self, view: Any, queryset: Any = None) -> Any:
        return super().get_filterset_class(view, queryset) if view.action == "list" else None

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        return queryset


class FileDownloadNegotiation(BaseContentNegotiation):
    """A download answers with the file whatever the client says it accepts."""

    def select_parser(self, request: Any, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _incident_action(summary: str, request: Any = None, *, errors: tuple[int, ...] = ()) -> Any:
    """Schema of a transition: the input, the incident back, and the errors it may give."""
    return extend_schema(
        summary=summary,
        request=request,
        responses={
            200: IncidentSerializer,
            **error_responses(*sorted({401, 403, 404, 409, *errors})),
        },
    )


def _problem_action(summary: str, request: Any = None, *, errors: tuple[int, ...] = ()) -> Any:
    return extend_schema(
        summary=summary,
        request=request,
        responses={
            200: ProblemSerializer,
            **error_responses(*sorted({401, 403, 404, 409, *errors})),
        },
    )


ID_PARAM = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


class IncidentViewSet(viewsets.GenericViewSet):
    """Incidents: report, triage, assign and work them through their lifecycle."""

    queryset = Incident.objects.none()  # for the schema; every read goes through a selector
    serializer_class = IncidentSerializer
    filterset_class = IncidentFilterSet
    filter_backends = [SelectorFilters]

    # --- helpers ---------------------------------------------------------------------------
    def _incident(self) -> Incident:
        return selectors.incident_get(user=request_user(self.request), pk=self.kwargs["pk"])

    def _out(self, incident: Incident, code: int = status.HTTP_200_OK) -> Response:
        return Response(
            IncidentSerializer(incident, context=self.get_serializer_context()).data, code
        )

    def _page(self, queryset: QuerySet[Any], serializer_class: type[Any]) -> Response:
        page = self.paginate_queryset(queryset)
        context = self.get_serializer_context()
        return self.get_paginated_response(serializer_class(page, many=True, context=context).data)

    # --- resource --------------------------------------------------------------------------
    @extend_schema(
        summary="List incidents visible to you",
        responses={200: IncidentSerializer(many=True), **error_responses(400, 401)},
    )
    def list(self, request: Request) -> Response:
        incidents = selectors.incident_list(
            user=request_user(request), filters=request.query_params
        ).select_related(*OUTPUT_RELATED)
        return self._page(incidents, IncidentSerializer)

    @extend_schema(
        summary="Report an incident (channel: api)",
        request=IncidentCreateInputSerializer,
        responses={201: IncidentSerializer, **error_responses(400, 401, 403)},
    )
    def create(self, request: Request) -> Response:
        data = _valid(IncidentCreateInputSerializer, request.data)
        incident = services.incident_create(
            actor=request_user(request), channel=Channel.API, **data
        )
        return self._out(incident, status.HTTP_201_CREATED)

    @extend_schema(
        summary="One incident",
        responses={200: IncidentSerializer, **error_responses(401, 404)},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return self._out(self._incident())

    # --- transitions -----------------------------------------------------------------------
    @_incident_action("Assign to a team and/or a person", AssignInputSerializer, errors=(400,))
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str) -> Response:
        data = _valid(AssignInputSerializer, request.data)
        incident = services.incident_assign(
            incident=self._incident(), actor=request_user(request), **data
        )
        return self._out(incident)

    @_incident_action("Take it: assign to yourself unless someone already has it")
    @action(detail=True, methods=["post"])
    def take(self, request: Request, pk: str) -> Response:
        user = request_user(request)
        incident = services.incident_assign(
            incident=self._incident(), actor=user, assignee=user, only_if_unassigned=True
        )
        return self._out(incident)

    @_incident_action("Start work")
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str) -> Response:
        incident = services.incident_start(incident=self._incident(), actor=request_user(request))
        return self._out(incident)

    @_incident_action("Put on hold", PendInputSerializer, errors=(400,))
    @action(detail=True, methods=["post"])
    def pend(self, request: Request, pk: str) -> Response:
        data = _valid(PendInputSerializer, request.data)
        incident = services.incident_pend(
            incident=self._incident(), actor=request_user(request), **data
        )
        return self._out(incident)

    @_incident_action("Resume work after a hold")
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str) -> Response:
        incident = services.incident_resume(incident=self._incident(), actor=request_user(request))
        return self._out(incident)

    @_incident_action("Resolve", ResolveInputSerializer, errors=(400,))
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        data = _valid(ResolveInputSerializer, request.data)
        incident = services.incident_resolve(
            incident=self._incident(),
            actor=request_user(request),
            code=data["resolution_code"],
            notes=data["resolution_notes"],
        )
        return self._out(incident)

    @_incident_action("Close (the requester confirms the resolution)")
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        incident = services.incident_close(incident=self._incident(), actor=request_user(request))
        return self._out(incident)

    @_incident_action("Reopen a resolved incident", ReasonInputSerializer, errors=(400,))
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str) -> Response:
        data = _valid(ReasonInputSerializer, request.data)
        incident = services.incident_reopen(
            incident=self._incident(), actor=request_user(request), reason=data["reason"]
        )
        return self._out(incident)

    @_incident_action("Cancel an open incident", ReasonInputSerializer, errors=(400,))
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        data = _valid(ReasonInputSerializer, request.data)
        incident = services.incident_cancel(
            incident=self._incident(), actor=request_user(request), reason=data["reason"]
        )
        return self._out(incident)

    @_incident_action(
        "Triage: impact, urgency (hence priority), category, service",
        TriageInputSerializer,
        errors=(400,),
    )
    @action(detail=True, methods=["post"])
    def triage(self, request: Request, pk: str) -> Response:
        data = _valid(TriageInputSerializer, request.data)
        incident = services.incident_triage(
            incident=self._incident(), actor=request_user(request), **data
        )
        return self._out(incident)

    @extend_schema(
        summary="Assign many incidents at once (all or nothing)",
        request=BulkAssignInputSerializer,
        responses={200: IncidentSerializer(many=True), **error_responses(400, 401, 403, 409)},
    )
    @action(detail=False, methods=["post"], url_path="bulk-assign", pagination_class=None)
    def bulk_assign(self, request: Request) -> Response:
        user = request_user(request)
        data = _valid(BulkAssignInputSerializer, request.data)
        ids = sorted(set(data.pop("incident_ids")))
        visible = selectors.incident_list(user=user).filter(pk__in=ids).values_list("pk", flat=True)
        unknown = sorted(set(ids) - set(visible))
        if unknown:  # invisible is indistinguishable from missing
            raise serializers.ValidationError(
                {"incident_ids": [f"No incidents with ids {unknown}."]}
            )
        done = services.incident_bulk_assign(incident_ids=ids, actor=user, **data)
        incidents = (
            selectors.incident_list(user=user)
            .filter(pk__in=[i.pk for i in done])
            .select_related(*OUTPUT_RELATED)
        )
        context = self.get_serializer_context()
        return Response(IncidentSerializer(incidents, many=True, context=context).data)

    # --- conversation ----------------------------------------------------------------------
    @extend_schema(
        methods=["GET"],
        summary="Comments (requesters never see internal notes)",
        responses={200: IncidentCommentSerializer(many=True), **error_responses(401, 404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Comment, or add an internal note",
        request=CommentInputSerializer,
        responses={201: IncidentCommentSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    @action(detail=True, methods=["get", "post"])
    def comments(self, request: Request, pk: str) -> Response:
        user = request_user(request)
        incident = self._incident()
        if request.method == "GET":
            comments = selectors.incident_comments(user=user, incident=incident)
            return self._page(comments, IncidentCommentSerializer)
        data = _valid(CommentInputSerializer, request.data)
        comment = services.incident_comment(incident=incident, actor=user, **data)
        return Response(IncidentCommentSerializer(comment).data, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Timeline (requesters never see internal events)",
        responses={200: IncidentEventSerializer(many=True), **error_responses(401, 404)},
    )
    @action(detail=True, methods=["get"])
    def events(self, request: Request, pk: str) -> Response:
        events = selectors.incident_events(user=request_user(request), incident=self._incident())
        return self._page(events, IncidentEventSerializer)

    @extend_schema(
        summary="Rate the resolution (the requester, once per resolution)",
        request=RateInputSerializer,
        responses={201: SatisfactionSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def satisfaction(self, request: Request, pk: str) -> Response:
        data = _valid(RateInputSerializer, request.data)
        rated = services.incident_rate(
            incident=self._incident(), actor=request_user(request), **data
        )
        return Response(SatisfactionSerializer(rated).data, status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        summary="Attachments (requesters never see internal ones)",
        responses={200: IncidentAttachmentSerializer(many=True), **error_responses(401, 404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Upload an attachment (size and type are limited)",
        request={"multipart/form-data": AttachmentInputSerializer},
        responses={201: IncidentAttachmentSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser, FormParser])
    def attachments(self, request: Request, pk: str) -> Response:
        user = request_user(request)
        incident = self._incident()
        if request.method == "GET":
            attachments = selectors.incident_attachments(user=user, incident=incident)
            return self._page(
                attachments.order_by("created_at", "pk"), IncidentAttachmentSerializer
            )
        data = _valid(AttachmentInputSerializer, request.data)
        attachment = services.incident_attach(
            incident=incident, actor=user, upload=data["file"], internal=data["internal"]
        )
        context = self.get_serializer_context()
        return Response(
            IncidentAttachmentSerializer(attachment, context=context).data, status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Download an attachment",
        parameters=[
            ID_PARAM,
            OpenApiParameter("attachment_id", OpenApiTypes.INT, OpenApiParameter.PATH),
        ],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, as an attachment"
            ),
            **error_responses(401, 404),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_id>[^/.]+)/download",
        url_name="attachment-download",
        content_negotiation_class=FileDownloadNegotiation,
    )
    def download(self, request: Request, pk: str, attachment_id: str) -> FileResponse:
        attachment = selectors.attachment_get(
            user=request_user(request), incident_pk=pk, pk=attachment_id
        )
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError:
            raise Http404("The file is missing from storage.") from None
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=attachment.filename,
            content_type=attachment.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


class ProblemViewSet(viewsets.GenericViewSet):
    """Problems: the cause behind incidents (analysts, managers and admins)."""

    queryset = Problem.objects.none()  # for the schema; every read goes through a selector
    serializer_class = ProblemSerializer
    filterset_class = ProblemFilterSet
    filter_backends = [SelectorFilters]

    def _problem(self) -> Problem:
        return selectors.problem_get(user=request_user(self.request), pk=self.kwargs["pk"])

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
        data = _valid(ProblemCreateInputSerializer, request.data)
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

    @_problem_action(
        "Update the description, root cause or fix (only the fields sent)",
        ProblemUpdateInputSerializer,
        errors=(400,),
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        data = _valid(ProblemUpdateInputSerializer, request.data)
        problem = services.problem_update(
            problem=self._problem(), actor=request_user(request), **data
        )
        return self._out(problem)

    @_problem_action("Link incidents", LinkIncidentsInputSerializer, errors=(400,))
    @action(detail=True, methods=["post"], url_path="link-incidents")
    def link_incidents(self, request: Request, pk: str) -> Response:
        data = _valid(LinkIncidentsInputSerializer, request.data)
        problem = self._problem()
        services.problem_link_incidents(
            problem=problem, actor=request_user(request), incident_ids=data["incident_ids"]
        )
        return self._out(problem)

    @_problem_action(
        "Publish a workaround to every linked open incident",
        WorkaroundInputSerializer,
        errors=(400,),
    )
    @action(detail=True, methods=["post"], url_path="publish-workaround")
    def publish_workaround(self, request: Request, pk: str) -> Response:
        data = _valid(WorkaroundInputSerializer, request.data)
        problem = self._problem()
        services.problem_publish_workaround(
            problem=problem, actor=request_user(request), workaround=data["workaround"]
        )
        return self._out(problem)

    @_problem_action("Start investigating")
    @action(detail=True, methods=["post"])
    def investigate(self, request: Request, pk: str) -> Response:
        problem = services.problem_investigate(problem=self._problem(), actor=request_user(request))
        return self._out(problem)

    @_problem_action("Mark as a known error", KnownErrorInputSerializer, errors=(400,))
    @action(detail=True, methods=["post"], url_path="mark-known-error")
    def mark_known_error(self, request: Request, pk: str) -> Response:
        data = _valid(KnownErrorInputSerializer, request.data)
        problem = services.problem_mark_known_error(
            problem=self._problem(), actor=request_user(request), **data
        )
        return self._out(problem)

    @_problem_action("Resolve with a permanent fix", ProblemResolveInputSerializer, errors=(400,))
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        data = _valid(ProblemResolveInputSerializer, request.data)
        problem = services.problem_resolve(
            problem=self._problem(), actor=request_user(request), **data
        )
        return self._out(problem)

    @_problem_action("Close")
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        problem = services.problem_close(problem=self._problem(), actor=request_user(request))
        return self._out(problem)
