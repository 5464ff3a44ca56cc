"""Incident endpoints: resource, one action per transition, conversation, files."""

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from incidents import selectors, services
from incidents.api.serializers import (
    AssignInputSerializer,
    AttachmentInputSerializer,
    BulkAssignInputSerializer,
    CommentInputSerializer,
    IncidentAttachmentSerializer,
    IncidentCommentSerializer,
    IncidentCreateInputSerializer,
    IncidentEventSerializer,
    IncidentSerializer,
    IncidentUpdateInputSerializer,
    MergeInputSerializer,
    PendInputSerializer,
    RateInputSerializer,
    ReasonInputSerializer,
    ResolveInputSerializer,
    SatisfactionSerializer,
    TriageInputSerializer,
    UnlinkProblemInputSerializer,
    WatcherInputSerializer,
)
from incidents.downloads import attachment_response
from incidents.filtersets import IncidentFilterSet
from incidents.guards import Ctx
from incidents.models import Incident
from incidents.transitions import INCIDENT
from org.api.serializers import UserBriefSerializer
from org.roles import request_user
from servicedesk.api import ApiViewSet, error_responses, no_input
from servicedesk.errors import ValidationFailed

from .common import (
    ID_PARAM,
    INCIDENT_ID,
    FileDownloadNegotiation,
    SelectorFilters,
    incident_action,
    valid,
)


class IncidentViewSet(ApiViewSet):
    """Incidents: report, triage, assign and work them through their lifecycle."""

    queryset = Incident.objects.none()  # for the schema; every read goes through a selector
    serializer_class = IncidentSerializer
    filterset_class = IncidentFilterSet
    filter_backends = [SelectorFilters]
    id_parameter = INCIDENT_ID
    paginate_ids_first = True  # the list joins many tables: page ids first, then rows

    # --- helpers ---------------------------------------------------------------------------
    def _incident(self, *, people: bool = True) -> Incident:
        """The incident in the URL (id or INC-reference); a write honours If-Match on it.
        ``people=False`` for reads of its sub-resources: the row only (is it visible?)."""
        incident = selectors.incident_get(
            user=request_user(self.request), pk=self.kwargs["pk"], people=people
        )
        self.precondition(incident)
        return incident

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
        )
        return self._page(incidents, IncidentSerializer)

    @extend_schema(
        summary="Report an incident, or log one on behalf of a caller (analysts: requester_id "
        "and channel)",
        request=IncidentCreateInputSerializer,
        responses={201: IncidentSerializer, **error_responses(400, 401, 403)},
    )
    def create(self, request: Request) -> Response:
        serializer = IncidentCreateInputSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        incident = services.incident_create(
            actor=request_user(request), **dict(serializer.validated_data)
        )
        return self._out(incident, status.HTTP_201_CREATED)

    @extend_schema(
        summary="One incident",
        responses={200: IncidentSerializer, **error_responses(401, 404)},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return self._out(self._incident())

    @incident_action(
        "Edit what was logged: title and description (only the fields sent)",
        IncidentUpdateInputSerializer,
        errors=(400,),
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        data = valid(IncidentUpdateInputSerializer, request.data)
        incident = services.incident_edit(
            incident=self._incident(), actor=request_user(request), **data
        )
        return self._out(incident)

    # --- transitions -----------------------------------------------------------------------
    @incident_action("Assign to a team and/or a person", AssignInputSerializer, errors=(400,))
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str) -> Response:
        data = valid(AssignInputSerializer, request.data)
        incident = services.incident_assign(
            incident=self._incident(), actor=request_user(request), **data
        )
        return self._out(incident)

    @incident_action("Take it: assign to yourself unless someone already has it")
    @action(detail=True, methods=["post"])
    def take(self, request: Request, pk: str) -> Response:
        no_input(request)
        user = request_user(request)
        incident = services.incident_assign(
            incident=self._incident(), actor=user, assignee=user, only_if_unassigned=True
        )
        return self._out(incident)

    @incident_action("Start work")
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str) -> Response:
        no_input(request)
        incident = services.incident_start(incident=self._incident(), actor=request_user(request))
        return self._out(incident)

    @incident_action("Put on hold", PendInputSerializer, errors=(400,))
    @action(detail=True, methods=["post"])
    def pend(self, request: Request, pk: str) -> Response:
        data = valid(PendInputSerializer, request.data)
        incident = services.incident_pend(
            incident=self._incident(), actor=request_user(request), **data
        )
        return self._out(incident)

    @incident_action("Resume work after a hold")
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str) -> Response:
        no_input(request)
        incident = services.incident_resume(incident=self._incident(), actor=request_user(request))
        return self._out(incident)

    @incident_action("Resolve", ResolveInputSerializer, errors=(400,))
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        data = valid(ResolveInputSerializer, request.data)
        incident = services.incident_resolve(
            incident=self._incident(),
            actor=request_user(request),
            code=data["resolution_code"],
            notes=data["resolution_notes"],
        )
        return self._out(incident)

    @incident_action("Close (the requester confirms the resolution)")
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        no_input(request)
        incident = services.incident_close(incident=self._incident(), actor=request_user(request))
        return self._out(incident)

    @incident_action("Reopen a resolved incident", ReasonInputSerializer, errors=(400,))
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str) -> Response:
        data = valid(ReasonInputSerializer, request.data)
        incident = services.incident_reopen(
            incident=self._incident(), actor=request_user(request), reason=data["reason"]
        )
        return self._out(incident)

    @incident_action("Cancel an open incident", ReasonInputSerializer, errors=(400,))
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        data = valid(ReasonInputSerializer, request.data)
        incident = services.incident_cancel(
            incident=self._incident(), actor=request_user(request), reason=data["reason"]
        )
        return self._out(incident)

    @incident_action(
        "Triage: impact, urgency (hence priority), category, service",
        TriageInputSerializer,
        errors=(400,),
    )
    @action(detail=True, methods=["post"])
    def triage(self, request: Request, pk: str) -> Response:
        data = valid(TriageInputSerializer, request.data)
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
        data = valid(BulkAssignInputSerializer, request.data)
        ids = sorted(set(data.pop("incident_ids")))
        visible = selectors.incident_list(user=user).filter(pk__in=ids).values_list("pk", flat=True)
        unknown = sorted(set(ids) - set(visible))
        if unknown:  # invisible is indistinguishable from missing
            raise serializers.ValidationError(
                {"incident_ids": [f"No incidents with ids {unknown}."]}
            )
        done = services.incident_bulk_assign(incident_ids=ids, actor=user, **data)
        incidents = selectors.incident_list(user=user).filter(pk__in=[i.pk for i in done])
        context = self.get_serializer_context()
        return Response(IncidentSerializer(incidents, many=True, context=context).data)

    @incident_action(
        "Merge this duplicate into another incident (it is closed with a link; its requester "
        "follows the kept one and is told)",
        MergeInputSerializer,
        errors=(400,),
    )
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk: str) -> Response:
        user = request_user(request)
        incident = self._incident()
        refusal = INCIDENT.refusal(
            incident.status, "merge", Ctx(obj=incident, actor=user, now=timezone.now())
        )
        if refusal is not None:  # who may merge and from which state, before the input
            raise refusal
        data = valid(MergeInputSerializer, request.data)
        try:
            kept = selectors.incident_get(user=user, pk=data["into_id"])
        except Http404:
            raise ValidationFailed(
                f"No incident INC-{data['into_id']:06d} to merge into.",
                details={"into_id": ["unknown"]},
            ) from None
        incident = services.incident_merge(
            incident=incident, into=kept, actor=user, note=data["note"]
        )
        return self._out(incident)

    @incident_action("Unlink from its problem", UnlinkProblemInputSerializer, errors=(400,))
    @action(detail=True, methods=["post"], url_path="unlink-problem")
    def unlink_problem(self, request: Request, pk: str) -> Response:
        data = valid(UnlinkProblemInputSerializer, request.data)
        incident = services.incident_unlink_problem(
            incident=self._incident(), actor=request_user(request), reason=data["reason"]
        )
        return self._out(selectors.incident_get(user=request_user(request), pk=incident.pk))

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
        incident = self._incident(people=request.method != "GET")
        if request.method == "GET":
            comments = selectors.incident_comments(user=user, incident=incident)
            return self._page(comments, IncidentCommentSerializer)
        data = valid(CommentInputSerializer, request.data)
        comment = services.incident_comment(incident=incident, actor=user, **data)
        context = self.get_serializer_context()
        return Response(
            IncidentCommentSerializer(comment, context=context).data, status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="One comment (requesters never see internal notes)",
        parameters=[OpenApiParameter("comment_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={200: IncidentCommentSerializer, **error_responses(401, 404)},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"comments/(?P<comment_id>[0-9]+)",
        url_name="comment-detail",
    )
    def comment(self, request: Request, pk: str, comment_id: str) -> Response:
        found = selectors.comment_get(
            user=request_user(request), incident=self._incident(people=False), pk=comment_id
        )
        context = self.get_serializer_context()
        return Response(IncidentCommentSerializer(found, context=context).data)

    @extend_schema(
        summary="Timeline (requesters never see internal events)",
        responses={200: IncidentEventSerializer(many=True), **error_responses(401, 404)},
    )
    @action(detail=True, methods=["get"])
    def events(self, request: Request, pk: str) -> Response:
        events = selectors.incident_events(
            user=request_user(request), incident=self._incident(people=False)
        )
        return self._page(events, IncidentEventSerializer)

    @extend_schema(
        summary="Rate the resolution (the requester, once per resolution)",
        request=RateInputSerializer,
        responses={201: SatisfactionSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def satisfaction(self, request: Request, pk: str) -> Response:
        data = valid(RateInputSerializer, request.data)
        rated = services.incident_rate(
            incident=self._incident(), actor=request_user(request), **data
        )
        context = self.get_serializer_context()
        return Response(
            SatisfactionSerializer(rated, context=context).data, status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="One rating of the resolution",
        parameters=[OpenApiParameter("rating_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={200: SatisfactionSerializer, **error_responses(401, 404)},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"satisfaction/(?P<rating_id>[0-9]+)",
        url_name="rating-detail",
    )
    def rating(self, request: Request, pk: str, rating_id: str) -> Response:
        found = selectors.rating_get(incident=self._incident(people=False), pk=rating_id)
        context = self.get_serializer_context()
        return Response(SatisfactionSerializer(found, context=context).data)

    @extend_schema(
        summary="One attachment's details (requesters never see internal ones)",
        parameters=[OpenApiParameter("attachment_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={200: IncidentAttachmentSerializer, **error_responses(401, 404)},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_id>[0-9]+)",
        url_name="attachment-detail",
    )
    def attachment(self, request: Request, pk: str, attachment_id: str) -> Response:
        found = selectors.attachment_get(
            user=request_user(request),
            incident_pk=self._incident(people=False).pk,
            pk=attachment_id,
        )
        context = self.get_serializer_context()
        return Response(IncidentAttachmentSerializer(found, context=context).data)

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
        incident = self._incident(people=request.method != "GET")
        if request.method == "GET":
            attachments = selectors.incident_attachments(user=user, incident=incident)
            return self._page(
                attachments.order_by("created_at", "pk"), IncidentAttachmentSerializer
            )
        data = valid(AttachmentInputSerializer, request.data)
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
        return attachment_response(attachment)

    # --- watchers (CC) ---------------------------------------------------------------------
    def _watchers(self, incident: Incident) -> Response:
        people = incident.watchers.order_by("display_name", "username")
        return Response(
            UserBriefSerializer(people, many=True, context=self.get_serializer_context()).data
        )

    @extend_schema(
        methods=["GET"],
        summary="Who follows this incident (watchers hear its public updates)",
        responses={200: UserBriefSerializer(many=True), **error_responses(401, 404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Add a watcher: yourself, or (requester, analysts) a colleague",
        request=WatcherInputSerializer,
        responses={
            200: OpenApiResponse(
                UserBriefSerializer(many=True),
                description="The watchers now (adding someone already watching changes nothing)",
            ),
            **error_responses(400, 401, 403, 404),
        },
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def watchers(self, request: Request, pk: str) -> Response:
        incident = self._incident()
        if request.method == "GET":
            return self._watchers(incident)
        data = valid(WatcherInputSerializer, request.data)
        services.incident_watch(
            incident=incident, actor=request_user(request), user=data.get("user")
        )
        return self._watchers(incident)

    @extend_schema(
        summary="Remove a watcher: yourself, or (requester, analysts) anyone",
        request=WatcherInputSerializer,
        responses={200: UserBriefSerializer(many=True), **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], url_path="watchers/remove", pagination_class=None)
    def unwatch(self, request: Request, pk: str) -> Response:
        incident = self._incident()
        data = valid(WatcherInputSerializer, request.data)
        services.incident_unwatch(
            incident=incident, actor=request_user(request), user=data.get("user")
        )
        return self._watchers(incident)
