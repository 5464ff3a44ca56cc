"""Which authorities must authorise a change: the emergency authority for an emergency change,
otherwise the matrix's chain for (category, risk class). Each must be able to reach its quorum
with the members who are neither the requester nor the implementer."""

from changes import quorum
from changes.choices import ChangeType
from changes.models import AuthorityRule, Change, ChangeAuthority


def eligible_member_ids(authority: ChangeAuthority, change: Change) -> set[int]:
    ids = {u.pk for u in authority.members.all() if u.is_active}
    return ids - {change.requester_id, change.implementer_id}


def route(change: Change) -> tuple[list[ChangeAuthority], str]:
    """The chain, and why it cannot be used ("" when it can)."""
    if change.type == ChangeType.EMERGENCY:
        chain = list(
            ChangeAuthority.objects.filter(is_emergency=True, is_active=True)
            .prefetch_related("members")
            .order_by("name")[:1]
        )
        if not chain:
            return [], "No emergency change authority is set up; ask the process owner."
    else:
        if not change.risk_class:
            return [], "The risk class is not known yet; answer the risk questionnaire."
        rules = (
            AuthorityRule.objects.filter(
                category=change.category, risk_class=change.risk_class, authority__is_active=True
            )
            .select_related("authority")
            .prefetch_related("authority__members")
            .order_by("position")
        )
        chain = [r.authority for r in rules]
        if not chain:
            return [], (
                f"No change authority is set for {change.get_category_display()} changes of "
                f"{change.get_risk_class_display().lower()} risk; ask the process owner to "
                "complete the authority matrix."
            )
    for authority in chain:
        eligible = len(eligible_member_ids(authority, change))
        if not quorum.reachable(authority.rule, authority.required, eligible):
            return chain, (
                f"{authority.name} cannot authorise this change: it has {eligible} eligible "
                f"member(s) (not the requester or implementer) and needs "
                f"{quorum.needed(authority.rule, authority.required, eligible) or 1}."
            )
    return chain, ""
