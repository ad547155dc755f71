from django.core.paginator import InvalidPage
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class CappedPageNumberPagination(PageNumberPagination):
    """``?page=`` and ``?page_size=`` (at most 500), so no single request lists everything.

    A page number that is not one of the list's pages is a 400 naming the valid range (DRF's
    default is a 404, which reads as "no such list" and which list endpoints do not document)."""

    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        page_size = self.get_page_size(request)
        if not page_size:
            return None
        paginator = self.django_paginator_class(queryset, page_size)
        number = request.query_params.get(self.page_query_param) or 1
        if number in self.last_page_strings:
            number = paginator.num_pages
        try:
            self.page = paginator.page(number)
        except InvalidPage as exc:
            raise ValidationError(
                {
                    self.page_query_param: [
                        _("Choose a page from 1 to %(last)d.") % {"last": max(paginator.num_pages, 1)}
                    ]
                },
                code="invalid",
            ) from exc
        if paginator.num_pages > 1 and self.template is not None:
            self.display_page_controls = True
        self.request = request
        return list(self.page)
