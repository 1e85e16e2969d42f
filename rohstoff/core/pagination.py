from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """DRF's ``{"count", "next", "previous", "results"}``; ``?page_size=`` up to 5000."""

    page_size = 500
    page_size_query_param = "page_size"
    max_page_size = 5000

    def get_schema_operation_parameters(self, view):
        """Pages count from 1 and hold at most ``max_page_size`` items: say so in the schema."""
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters
