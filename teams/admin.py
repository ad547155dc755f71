"""Admin for HR managers: the team tree, core duties, memberships and project groups.

Every write calls ``teams.services`` with ``acting_user=request.user`` (see
``orgstructure.admin.ServiceModelAdmin``); teams and project groups are archived, never deleted.
"""

from __future__ import annotations

from contextlib import suppress

from django.contrib import admin
from django.db import transaction
from django.db.models import Count, Q
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from tree_queries.admin import TreeChangeList

from orgstructure.admin import ServiceModelAdmin, copy_saved_fields, count_subquery, service_call
from orgstructure.exceptions import NotFoundError
from roles.models import Role, RoleStatus
from teams import services
from teams.forms import MembershipAdminForm, PositionedInlineForm, TeamAdminForm, TeamDutyFormSet
from teams.models import Membership, ProjectGroup, ProjectGroupMember, Team, TeamDuty

_TEAM_SERVICE_FIELDS = ("name", "slug", "kind", "description", "position")


class ParentTeamFilter(admin.SimpleListFilter):
    title = _("parent team")
    parameter_name = "parent"
    TOP = "none"

    def lookups(self, request, model_admin):
        parents = Team.objects.filter(pk__in=Team.objects.filter(parent__isnull=False).values("parent_id"))
        return [(self.TOP, _("(top level)")), *((str(t.pk), t.name) for t in parents.order_by("name"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.TOP:
            return queryset.filter(parent__isnull=True)
        if value and value.isdigit():
            return queryset.filter(parent_id=int(value))
        return queryset


class TeamDutyInline(admin.TabularInline):
    model = TeamDuty
    form = PositionedInlineForm
    formset = TeamDutyFormSet
    fields = ("position", "text")
    ordering = ("position",)
    extra = 1
    verbose_name = _("core duty")
    verbose_name_plural = _("core duties (ordered by position: change the numbers, or use ↑ ↓, to reorder)")

    class Media:
        js = ("js/admin-ordered-inline.js",)
        css = {"all": ("css/admin-extra.css",)}


@admin.register(Team)
class TeamAdmin(ServiceModelAdmin):
    form = TeamAdminForm
    inlines = [TeamDutyInline]
    list_display = ("tree_name", "slug", "kind", "parent", "core_duty_count", "role_count", "archived")
    list_display_links = ("tree_name",)

    class Media:
        css = {"all": ("css/admin-extra.css",)}  # the tree's indentation

    list_filter = ("kind", ParentTeamFilter, "archived")
    list_select_related = ("parent",)
    search_fields = ("name", "slug", "description")
    list_per_page = 100
    actions = ["archive_selected", "unarchive_selected"]
    readonly_fields = ("archived",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .with_tree_fields()
            .annotate(
                core_duty_total=count_subquery(TeamDuty, "team"),
                role_total=count_subquery(Role, "team", status__in=[RoleStatus.DRAFT, RoleStatus.ACTIVE]),
            )
        )

    def get_changelist(self, request, **kwargs):
        return TreeChangeList  # depth-first tree order unless a column header is clicked

    def has_delete_permission(self, request, obj=None):
        return False  # a team keeps its history: archive it instead

    @admin.display(description=_("team"), ordering="name")
    def tree_name(self, obj: Team):
        depth = getattr(obj, "tree_depth", 0)
        return format_html(
            '<span class="tree-depth-{}">{}{}</span>',  # indentation: static/css/admin-extra.css
            min(depth, 20),
            "└ " if depth else "",
            obj.name,
        )

    @admin.display(description=_("core duties"), ordering="core_duty_total")
    def core_duty_count(self, obj: Team) -> int:
        return obj.core_duty_total

    @admin.display(description=_("roles"), ordering="role_total")
    def role_count(self, obj: Team) -> int:
        return obj.role_total

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        with service_call():
            if not change:
                team = services.team_create(
                    name=data["name"],
                    slug=data.get("slug") or "",
                    kind=data["kind"],
                    description=data.get("description") or "",
                    parent=data.get("parent"),
                    position=data.get("position"),
                    acting_user=request.user,
                )
            else:
                team = obj
                fields = {f: data[f] for f in _TEAM_SERVICE_FIELDS if f in form.changed_data}
                if "parent" in form.changed_data:
                    position = fields.pop("position", None)
                    if fields:
                        team = services.team_update(team=team, acting_user=request.user, **fields)
                    team = services.team_move(
                        team=team, new_parent=data.get("parent"), position=position, acting_user=request.user
                    )
                elif fields:
                    if not fields.get("slug", True):
                        fields.pop("slug")  # an emptied slug keeps the old one
                    team = services.team_update(team=team, acting_user=request.user, **fields)
        copy_saved_fields(obj, team)

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            if isinstance(formset, TeamDutyFormSet) and formset.has_changed():
                with service_call():
                    services.team_core_duties_replace(
                        team=form.instance, duties=formset.service_items(), acting_user=request.user
                    )

    def construct_change_message(self, request, form, formsets, add=False):
        message = super().construct_change_message(request, form, [], add)
        if any(isinstance(fs, TeamDutyFormSet) and fs.has_changed() for fs in formsets):
            message.append({"changed": {"fields": [str(_("core duties"))]}})
        return message

    @admin.action(description=_("Archive selected teams"), permissions=["change"])
    def archive_selected(self, request, queryset):
        # Deepest first, so that a whole selected subtree can be archived in one go.
        teams = sorted(queryset, key=lambda t: -getattr(t, "tree_depth", 0))
        self.run_action(
            request,
            teams,
            lambda team: services.team_archive(team=team, acting_user=request.user),
            already=lambda team: team.archived,
            done=lambda n: ngettext("Archived %(count)d team.", "Archived %(count)d teams.", n) % {"count": n},
        )

    @admin.action(description=_("Unarchive selected teams"), permissions=["change"])
    def unarchive_selected(self, request, queryset):
        teams = sorted(queryset, key=lambda t: getattr(t, "tree_depth", 0))
        self.run_action(
            request,
            teams,
            lambda team: services.team_unarchive(team=team, acting_user=request.user),
            already=lambda team: not team.archived,
            done=lambda n: ngettext("Restored %(count)d team.", "Restored %(count)d teams.", n) % {"count": n},
        )


@admin.register(Membership)
class MembershipAdmin(ServiceModelAdmin):
    form = MembershipAdminForm
    list_display = ("user", "team", "role", "is_lead")
    list_filter = ("is_lead", ("team", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("user", "team", "role")
    search_fields = ("user__username", "user__first_name", "user__last_name", "team__name", "role__title")
    autocomplete_fields = ("user",)

    def get_readonly_fields(self, request, obj=None):
        return ("user", "team") if obj is not None else ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "role":
            kwargs["queryset"] = Role.objects.select_related("team").exclude(status=RoleStatus.RETIRED)
        if db_field.name == "team":
            kwargs["queryset"] = Team.objects.filter(archived=False)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        with service_call():
            if not change:
                membership = services.membership_add(
                    user=data["user"],
                    team=data["team"],
                    role=data.get("role"),
                    is_lead=data.get("is_lead", False),
                    acting_user=request.user,
                )
            else:
                membership = services.membership_update(
                    membership=obj, role=data.get("role"), is_lead=data.get("is_lead", False), acting_user=request.user
                )
        copy_saved_fields(obj, membership)

    def save_related(self, request, form, formsets, change):
        pass  # no inlines or many-to-many fields

    def delete_model(self, request, obj):
        with suppress(NotFoundError):  # removed by someone else meanwhile: gone, as asked
            services.membership_remove(membership=obj, acting_user=request.user)

    def delete_queryset(self, request, queryset):
        # delete_selected runs outside a transaction: all of the selection goes, or none.
        with transaction.atomic():
            for membership in queryset.select_related("team", "user"):
                with suppress(NotFoundError):
                    services.membership_remove(membership=membership, acting_user=request.user)


class ProjectGroupMemberInline(admin.TabularInline):
    model = ProjectGroupMember
    fields = ("user", "home_team", "role_in_group")
    autocomplete_fields = ("user",)
    extra = 1

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "home_team":
            kwargs["queryset"] = Team.objects.filter(archived=False)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(ProjectGroup)
class ProjectGroupAdmin(ServiceModelAdmin):
    inlines = [ProjectGroupMemberInline]
    fields = ("name", "slug", "purpose", "owner", "starts_on", "ends_on", "archived")
    list_display = ("name", "owner", "starts_on", "ends_on", "member_count", "archived")
    list_filter = ("archived",)
    list_select_related = ("owner",)
    search_fields = ("name", "slug", "purpose")
    autocomplete_fields = ("owner",)
    actions = ["archive_selected"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_total=Count("members", filter=Q(members__isnull=False)))

    def has_delete_permission(self, request, obj=None):
        return False  # archive instead

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        if "slug" in form_class.base_fields:
            form_class.base_fields["slug"].required = False
            form_class.base_fields["slug"].help_text = _("Left empty, it is made from the name.")
        return form_class

    @admin.display(description=_("members"), ordering="member_total")
    def member_count(self, obj: ProjectGroup) -> int:
        return obj.member_total

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        with service_call():
            if not change:
                fields = {f: data[f] for f in ("purpose", "owner", "starts_on", "ends_on") if f in data}
                group = services.project_group_create(
                    name=data["name"], slug=data.get("slug") or "", acting_user=request.user, **fields
                )
                if data.get("archived"):
                    group = services.project_group_archive(group=group, acting_user=request.user)
            else:
                fields = {f: data[f] for f in form.changed_data if f in data}
                if not fields.get("slug", True):
                    fields.pop("slug")
                group = services.project_group_update(group=obj, acting_user=request.user, **fields) if fields else obj
        copy_saved_fields(obj, group)

    def save_related(self, request, form, formsets, change):
        group = form.instance
        with service_call():
            for formset in formsets:
                forms = [f for f in formset.forms if getattr(f, "cleaned_data", None)]
                # Removals first, so that a person can be removed and added back in one save.
                for f in forms:
                    if f.instance.pk and formset._should_delete_form(f):
                        services.project_group_member_remove(member=f.instance, acting_user=request.user)
                for f in forms:
                    if formset._should_delete_form(f) or not f.has_changed():
                        continue
                    data = f.cleaned_data
                    if f.instance.pk is None:
                        services.project_group_member_add(
                            group=group,
                            user=data["user"],
                            home_team=data["home_team"],
                            role_in_group=data.get("role_in_group") or "",
                            acting_user=request.user,
                        )
                    elif "user" in f.changed_data:
                        services.project_group_member_remove(member=f.instance, acting_user=request.user)
                        services.project_group_member_add(
                            group=group,
                            user=data["user"],
                            home_team=data["home_team"],
                            role_in_group=data.get("role_in_group") or "",
                            acting_user=request.user,
                        )
                    else:
                        changed = {k: data[k] for k in ("home_team", "role_in_group") if k in f.changed_data}
                        services.project_group_member_update(member=f.instance, acting_user=request.user, **changed)

    def construct_change_message(self, request, form, formsets, add=False):
        message = super().construct_change_message(request, form, [], add)
        if any(fs.has_changed() for fs in formsets):
            message.append({"changed": {"fields": [str(_("members"))]}})
        return message

    @admin.action(description=_("Archive selected project groups"), permissions=["change"])
    def archive_selected(self, request, queryset):
        self.run_action(
            request,
            queryset,
            lambda group: services.project_group_archive(group=group, acting_user=request.user),
            already=lambda group: group.archived,
            done=lambda n: (
                ngettext("Archived %(count)d project group.", "Archived %(count)d project groups.", n) % {"count": n}
            ),
        )
