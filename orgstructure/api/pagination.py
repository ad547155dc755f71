from rest_framework.pagination import PageNumberPagination


class CappedPageNumberPagination(PageNumberPagination):
    """``?page=`` and ``?page_size=`` (at most 500), so no single request lists everything."""

    page_size_query_param = "page_size"
    max_page_size = 500
