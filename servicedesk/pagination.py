"""The API's page size (its own module: DRF imports it while ``rest_framework.generics`` loads,
so it must not import the views)."""

from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200
