"""Admin for HR managers: roles with their ordered duty lists, and the revisions of those lists.

Role fields change through ``role_create`` / ``role_update``, duty lists only through
``role_duties_replace`` (one revision per save, refused when the form is stale), and an old
revision comes back through ``role_revision_restore``. Roles are retired, never deleted.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from orgstructure.admin import (
    SERVICE_ERRORS,
    ServiceModelAdmin,
    copy_saved_fields,
    count_subquery,
    refusal_messages,
    service_call,
)
from roles import services
from roles.diffing import duty_list_diff
from roles.forms import DutyFormSet, DutyInlineForm, RoleAdminForm
from roles.models import Duty, RevisionSource, Role, RoleRevision, RoleStatus
from roles.permissions import RolePermissions
from roles.quality import role_quality_issues
from teams.models import TeamDuty

_ROLE_SERVICE_FIELDS = ("title", "slug", "purpose", "headcount", "status")


class DutyInline(admin.TabularInline):
    model = Duty
    form = DutyInlineForm
    formset = DutyFormSet
    fields = ("position", "text", "serves")
    ordering = ("position",)
    extra = 1
    verbose_name = _("duty")
    verbose_name_plural = _("duties (ordered by position: change the numbers, or use ↑ ↓, to reorder)")

    class Media:
        js = ("js/admin-ordered-inline.js",)
        css = {"all": ("css/admin-extra.css",)}

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        serves = formset.form.base_fields["serves"]
        if obj is not None:
            serves.queryset = TeamDuty.objects.filter(team_id=obj.team_id).order_by("position")
            serves.error_messages["invalid_choice"] = _("A duty can only serve a core duty of the role's own team.")
        else:
            serves.queryset = TeamDuty.objects.none()
            serves.help_text = _("Save the role first; then its duties can be linked to its team's core duties.")
            serves.error_messages["invalid_choice"] = serves.help_text
        return formset


class QualityChangeList(ChangeList):
    """The role list with each row's "clear and concise" issues, computed for the whole page in
    one query instead of one per row."""

    def get_results(self, request):
        super().get_results(request)
        issues = role_quality_issues(self.result_list)
        for role in self.result_list:
            role.quality_issues = issues[role.pk]


@admin.register(Role)
class RoleAdmin(ServiceModelAdmin):
    form = RoleAdminForm
    inlines = [DutyInline]
    list_display = ("title", "team", "status", "headcount", "version", "duty_count", "quality", "revisions_link")
    list_filter = ("status", ("team", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("team",)
    search_fields = ("title", "slug", "purpose", "team__name", "duties__text")
    actions = ["retire_selected", "activate_selected"]
    change_form_template = "admin/roles/role/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(duty_total=count_subquery(Duty, "role"))

    def get_changelist(self, request, **kwargs):
        return QualityChangeList

    def get_fieldsets(self, request, obj=None):
        fields = ["team", "title", "slug", "purpose", "headcount", "status"]
        if obj is not None:
            fields += ["version", "quality_report", "duty_history"]
        fields += ["reason", "expected_version", "seen_updated_at"]
        return [(None, {"fields": fields})]

    def get_readonly_fields(self, request, obj=None):
        # The team is fixed once the role exists (role_update refuses it).
        return ("team", "version", "quality_report", "duty_history") if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False  # a role keeps its revisions: retire it instead

    @admin.display(description=_("duties"), ordering="duty_total")
    def duty_count(self, obj: Role) -> int:
        return obj.duty_total

    @admin.display(description=_("clear and concise"))
    def quality(self, obj: Role):
        issues = getattr(obj, "quality_issues", None)
        if issues is None:
            issues = role_quality_issues([obj])[obj.pk]
        if not issues:
            return format_html('<span class="quality-ok">{}</span>', gettext("OK"))
        return format_html(
            '<span class="quality-issues" title="{}">⚠ {}</span>',
            " ".join(issue.message for issue in issues),
            ", ".join(dict.fromkeys(issue.label for issue in issues)),
        )

    @admin.display(description=_("clear and concise"))
    def quality_report(self, obj: Role):
        issues = role_quality_issues([obj])[obj.pk]
        if not issues:
            return gettext("The duty list is clear and concise.")
        return format_html_join(
            "", '<p class="quality-issue"><strong>⚠ {}</strong>: {}</p>', ((i.label, i.message) for i in issues)
        )

    @admin.display(description=_("history"))
    def revisions_link(self, obj: Role):
        if not obj.version:
            return "—"
        return format_html('<a href="{}">{}</a>', self._revisions_url(obj), gettext("revisions"))

    @admin.display(description=_("history of the duty list"))
    def duty_history(self, obj: Role):
        count = obj.revisions.count()
        if not count:
            return gettext("No revisions yet.")
        return format_html(
            '<a href="{}">{}</a>',
            self._revisions_url(obj),
            ngettext("%(count)d revision", "%(count)d revisions", count) % {"count": count},
        )

    @staticmethod
    def _revisions_url(role: Role) -> str:
        return f"{reverse('admin:roles_rolerevision_changelist')}?role__id__exact={role.pk}"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {})}
        role_id = unquote(object_id)
        if str(role_id).isdigit():
            extra_context["revisions_url"] = (
                f"{reverse('admin:roles_rolerevision_changelist')}?role__id__exact={role_id}"
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        pass  # everything is saved in save_related, where the duty list is known too

    def save_related(self, request, form, formsets, change):
        data = form.cleaned_data
        duty_formset = next((fs for fs in formsets if isinstance(fs, DutyFormSet)), None)
        duties = duty_formset.service_items() if duty_formset is not None and duty_formset.has_changed() else None
        reason = data.get("reason") or ""
        with service_call():
            if not change:
                role = services.role_create(
                    team=data["team"],
                    title=data["title"],
                    slug=data.get("slug") or "",
                    purpose=data.get("purpose") or "",
                    headcount=data["headcount"],
                    status=data["status"],
                    duties=duties or (),
                    reason=reason,
                    source=RevisionSource.ADMIN,
                    acting_user=request.user,
                )
            else:
                role = form.instance
                fields = {f: data[f] for f in _ROLE_SERVICE_FIELDS if f in form.changed_data}
                if not fields.get("slug", True):
                    fields.pop("slug")  # an emptied slug keeps the old one
                # A role being retired gets its last duty list first; one being brought back
                # is made active first (a retired role's duties cannot change).
                retiring = fields.get("status") == RoleStatus.RETIRED
                if fields and not retiring:
                    services.role_update(role=role, acting_user=request.user, **fields)
                if duties is not None:
                    form.instance.saved_revision = services.role_duties_replace(
                        role=role,
                        duties=duties,
                        expected_version=data["expected_version"],
                        acting_user=request.user,
                        reason=reason,
                        source=RevisionSource.ADMIN,
                    )
                if fields and retiring:
                    services.role_update(role=role, acting_user=request.user, **fields)
        copy_saved_fields(form.instance, Role.objects.get(pk=role.pk))

    def construct_change_message(self, request, form, formsets, add=False):
        form.changed_data[:] = [f for f in form.changed_data if f not in ("reason", "seen_updated_at")]
        message = super().construct_change_message(request, form, [], add)
        revision = getattr(form.instance, "saved_revision", None)
        if revision is not None:
            message.append(
                {"changed": {"name": str(_("duty list")), "object": str(revision), "fields": [str(_("duties"))]}}
            )
        return message

    @admin.action(description=_("Retire selected roles"), permissions=["change"])
    def retire_selected(self, request, queryset):
        self.run_action(
            request,
            queryset,
            lambda role: services.role_retire(role=role, acting_user=request.user),
            already=lambda role: role.status == RoleStatus.RETIRED,
            done=lambda n: ngettext("Retired %(count)d role.", "Retired %(count)d roles.", n) % {"count": n},
        )

    @admin.action(description=_("Make selected roles active"), permissions=["change"])
    def activate_selected(self, request, queryset):
        self.run_action(
            request,
            queryset,
            lambda role: services.role_activate(role=role, acting_user=request.user),
            already=lambda role: role.status == RoleStatus.ACTIVE,
            done=lambda n: ngettext("Activated %(count)d role.", "Activated %(count)d roles.", n) % {"count": n},
        )


_DIFF_MARKERS = {
    "added": ("+", _("added")),
    "removed": ("−", _("removed")),
    "changed": ("~", _("changed")),
    "moved": ("↕", _("moved")),
    "unchanged": ("=", _("unchanged")),
}


@admin.register(RoleRevision)
class RoleRevisionAdmin(admin.ModelAdmin):
    """Revisions are written only by ``role_duties_replace``: read-only here, with a diff and
    a "Restore this version" button."""

    list_display = ("role", "number", "team", "source", "author", "created_at", "short_reason")
    list_display_links = ("role", "number")
    list_filter = ("source", "created_at", ("role__team", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("role", "role__team", "author")
    search_fields = ("role__title", "reason", "author__username")
    fields = ("role", "number", "source", "author", "created_at", "reason", "restored_from", "duty_list", "changes")
    readonly_fields = fields
    change_form_template = "admin/roles/rolerevision/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("role", "role__team", "author", "restored_from")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("team"), ordering="role__team__name")
    def team(self, obj: RoleRevision):
        return obj.role.team

    @admin.display(description=_("reason"))
    def short_reason(self, obj: RoleRevision) -> str:
        return Truncator(obj.reason).chars(80)

    @admin.display(description=_("duty list"))
    def duty_list(self, obj: RoleRevision):
        if not obj.duties:
            return gettext("(empty)")
        rows = format_html_join(
            "",
            '<li value="{}">{}{}</li>',
            (
                (
                    item.get("position", index),
                    item.get("text", ""),
                    format_html(' <span class="duty-serves">→ {}</span>', item["serves_text"])
                    if item.get("serves_text")
                    else "",
                )
                for index, item in enumerate(obj.duties, start=1)
            ),
        )
        return format_html('<ol class="duty-snapshot">{}</ol>', rows)

    @admin.display(description=_("changes against the previous revision"))
    def changes(self, obj: RoleRevision):
        previous = RoleRevision.objects.filter(role_id=obj.role_id, number__lt=obj.number).order_by("-number").first()
        old = previous.duties if previous else []
        serves_texts = {d.get("serves"): d.get("serves_text") for d in [*old, *obj.duties] if d.get("serves")}
        rows = []
        for entry in duty_list_diff(old, obj.duties):
            marker, label = _DIFF_MARKERS[entry["op"]]
            if entry["op"] == "removed":
                text = format_html("<del>{}</del>", entry["old_text"])
            elif entry["op"] == "changed" and entry["old_text"] != entry["new_text"]:
                text = format_html("<del>{}</del> → <ins>{}</ins>", entry["old_text"], entry["new_text"])
            elif entry["op"] == "added":
                text = format_html("<ins>{}</ins>", entry["new_text"])
            else:
                text = format_html("{}", entry["new_text"])
            notes = []
            if entry["op"] == "moved":
                notes.append(
                    gettext("from position %(old)d to %(new)d")
                    % {"old": entry["old_position"], "new": entry["new_position"]}
                )
            if entry["op"] == "changed" and entry["old_serves"] != entry["new_serves"]:
                notes.append(
                    gettext("serves: %(old)s → %(new)s")
                    % {
                        "old": serves_texts.get(entry["old_serves"]) or gettext("none"),
                        "new": serves_texts.get(entry["new_serves"]) or gettext("none"),
                    }
                )
            position = entry["new_position"] if entry["new_position"] is not None else entry["old_position"]
            rows.append((entry["op"], marker, label, position, text, " · ".join(notes)))
        if not rows:
            return gettext("(empty)")
        body = format_html_join(
            "",
            '<tr class="duty-diff-{}"><td class="duty-diff-op">{} {}</td><td>{}</td><td>{}</td>'
            '<td class="duty-diff-note">{}</td></tr>',
            rows,
        )
        caption = (
            gettext("Compared with revision %(number)d.") % {"number": previous.number}
            if previous
            else gettext("The first revision: every duty is new.")
        )
        return format_html('<p>{}</p><table class="duty-diff">{}</table>', caption, body)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/restore/",
                self.admin_site.admin_view(self.restore_view),
                name="{}_{}_restore".format(*info),
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        revision = self.get_object(request, unquote(object_id))
        extra_context = {**(extra_context or {})}
        if revision is not None:
            extra_context.update(
                {
                    "revision": revision,
                    "current_version": revision.role.version,
                    "is_current": revision.number == revision.role.version,
                    "can_restore": request.user.has_perm(RolePermissions.CHANGE)
                    and revision.role.status != RoleStatus.RETIRED,
                    "restore_url": reverse("admin:roles_rolerevision_restore", args=[revision.pk]),
                    "role_url": reverse("admin:roles_role_change", args=[revision.role_id]),
                }
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def restore_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm(RolePermissions.CHANGE):
            raise PermissionDenied
        revision = get_object_or_404(RoleRevision.objects.select_related("role"), pk=unquote(object_id))
        back = reverse("admin:roles_rolerevision_change", args=[revision.pk])
        try:
            expected_version = int(request.POST.get("expected_version", ""))
        except ValueError:
            self.message_user(request, gettext("The form does not say which version you saw; reload the page."))
            return HttpResponseRedirect(back)
        try:
            with transaction.atomic():
                restored = services.role_revision_restore(
                    revision=revision,
                    expected_version=expected_version,
                    acting_user=request.user,
                    reason=(request.POST.get("reason") or "").strip(),
                )
        except SERVICE_ERRORS as exc:
            self.message_user(request, " ".join(refusal_messages(exc)), messages.ERROR)
            return HttpResponseRedirect(back)
        role_url = reverse("admin:roles_role_change", args=[revision.role_id])
        if restored is None:
            self.message_user(
                request, gettext("The duty list is already as in revision %(number)d.") % {"number": revision.number}
            )
        else:
            self.message_user(
                request,
                gettext("Restored revision %(old)d as revision %(new)d.")
                % {"old": revision.number, "new": restored.number},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(role_url)
