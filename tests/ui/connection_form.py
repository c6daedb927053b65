"""Locators for the Connections page and the Add Connection dialog of Airflow 3.3's React UI."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page, Request, Response

# The endpoint behind the Test Connection button of the Connections list.
TEST_CONNECTION_URL = "**/api/v2/connections/test"


class ConnectionForm:
    """The Add Connection dialog, opened from the Connections page."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.dialog = page.get_by_role("dialog")

    @classmethod
    def open(cls, page: Page, base_url: str) -> ConnectionForm:
        page.goto(f"{base_url}/connections")
        page.get_by_role("button", name="Add Connection").click()
        return cls(page)

    @property
    def connection_id(self) -> Locator:
        return self.dialog.get_by_label("Connection ID")

    def choose_type(self, hook_name: str) -> None:
        """Pick a connection type by its display name in the type selector."""
        from playwright.sync_api import expect

        selector = self.page.get_by_role("combobox", name="Connection Type")
        self.dialog.locator(selector).fill(hook_name)
        self.page.keyboard.press("Enter")
        expect(self.dialog.get_by_role("group").filter(has=selector)).to_contain_text(hook_name)

    def field_group(self, label: str) -> Locator:
        """The form row whose label reads ``label``.

        Extra fields are found by their row, because Airflow 3.3 renders some of their
        labels with a ``for`` attribute that does not match the input's id.
        """
        return self.dialog.get_by_role("group").filter(has=self.page.get_by_text(label, exact=True))

    def standard_input(self, label: str) -> Locator:
        return self.dialog.get_by_label(label, exact=True)

    def extra_input(self, label: str) -> Locator:
        return self.field_group(label).locator("input")

    def open_extra_fields(self) -> None:
        self.dialog.get_by_role("button", name="Extra Fields", exact=True).click()

    def save(self) -> None:
        """Press Save and wait until the dialog closes."""
        from playwright.sync_api import expect

        self.dialog.get_by_role("button", name="Save").click()
        expect(self.dialog).to_have_count(0)


def connection_row(page: Page, connection_id: str) -> Locator:
    """The row of ``connection_id`` in the Connections list."""
    id_cell = page.get_by_role("cell", name=connection_id, exact=True)
    return page.get_by_role("row").filter(has=id_cell)


def press_test_button(page: Page, connection_id: str) -> tuple[Request, Response]:
    """Press the Test Connection button of a row and return the request it sent and the response."""
    row = connection_row(page, connection_id)
    with page.expect_request(TEST_CONNECTION_URL) as sent, page.expect_response(TEST_CONNECTION_URL) as answered:
        row.get_by_role("button", name="Test Connection").click()
    return sent.value, answered.value


def toast(page: Page, title: str) -> Locator:
    """The notification whose text contains ``title``."""
    return page.get_by_role("status").filter(has_text=title)


def request_json(request: Request) -> dict[str, Any]:
    body = request.post_data_json
    if not isinstance(body, dict):
        raise AssertionError(f"expected a JSON object in the body of {request.url}, got {body!r}")
    return body
