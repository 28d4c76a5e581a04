"""Page-number pagination with a bounded page size and an error for pages past the end."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase

from clinic.api.fields import Int
from clinic.error_codes import ERR_PAGE_OUT_OF_RANGE
from clinic.errors import InvalidInput

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class BoundedPagination(PaginationBase):
    """`?page=N&page_size=M` (M at most MAX_PAGE_SIZE); a page past the last one is a 422.

    Silently returning an empty page would let a client loop forever on a wrong page number,
    so it is an error (`page_out_of_range`). Page 1 of an empty list is an empty page.
    """

    class Input(Schema):
        page: Int = Field(1, ge=1)
        page_size: Int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)

    class Output(Schema):
        items: list[Any]
        count: int
        page: int
        page_size: int
        pages: int

    def paginate_queryset(
        self, queryset: Any, pagination: Input, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        count = self._items_count(queryset)
        size = pagination.page_size
        pages = max(1, -(-count // size))
        if pagination.page > pages:
            raise InvalidInput(
                f"Page {pagination.page} is past the last page ({pages}).",
                code=ERR_PAGE_OUT_OF_RANGE,
            )
        offset = (pagination.page - 1) * size
        return {
            "items": list(queryset[offset : offset + size]),
            "count": count,
            "page": pagination.page,
            "page_size": size,
            "pages": pages,
        }
