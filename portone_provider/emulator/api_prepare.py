"""Payment amount pre-registration endpoints of the emulator: ``/payments/prepare``.

The emulator stores one ``{merchant_uid, amount, currency}`` per merchant_uid. It does
not enforce the registered amount on payments, because it has no payment window.
"""

from __future__ import annotations

from .fields import Registry, optional_text, read_body, required_amount, required_text
from .routing import ApiError, Request, Response, Router, envelope

MAX_MERCHANT_UID_LENGTH = 40

MESSAGE_ALREADY_PREPARED = "이미 사전등록된 주문번호(merchant_uid)입니다. 금액을 바꾸려면 PUT 요청을 사용해 주세요"
MESSAGE_NOT_PREPARED = "사전등록된 결제정보가 없습니다"


class PrepareApi:
    """Handlers of the pre-registration routes, sharing one registry per emulator."""

    def __init__(self) -> None:
        self.registry = Registry()

    def register(self, request: Request) -> Response:
        """POST /payments/prepare: register the amount of a new merchant_uid."""
        entry = _read_entry(request)
        with self.registry.lock:
            if entry["merchant_uid"] in self.registry.items:
                raise ApiError(400, MESSAGE_ALREADY_PREPARED)
            self.registry.items[entry["merchant_uid"]] = entry
        return envelope(dict(entry))

    def edit(self, request: Request) -> Response:
        """PUT /payments/prepare: change the registered amount; 404 when none is registered."""
        entry = _read_entry(request)
        with self.registry.lock:
            if entry["merchant_uid"] not in self.registry.items:
                raise ApiError(404, MESSAGE_NOT_PREPARED)
            self.registry.items[entry["merchant_uid"]] = entry
        return envelope(dict(entry))

    def get(self, request: Request) -> Response:
        """GET /payments/prepare/{merchant_uid}: the registered amount; 404 when none is registered."""
        with self.registry.lock:
            entry = self.registry.items.get(request.path_params["merchant_uid"])
            if entry is None:
                raise ApiError(404, MESSAGE_NOT_PREPARED)
            return envelope(dict(entry))


def register_prepare_routes(api_router: Router, control_router: Router) -> None:
    """Add the pre-registration routes to the PortOne API router."""
    api = PrepareApi()
    api_router.add("POST", "/payments/prepare", api.register, requires_token=True)
    api_router.add("PUT", "/payments/prepare", api.edit, requires_token=True)
    api_router.add("GET", "/payments/prepare/{merchant_uid}", api.get, requires_token=True)


def _read_entry(request: Request) -> dict:
    body = read_body(request)
    merchant_uid = required_text(body, "merchant_uid", MAX_MERCHANT_UID_LENGTH)
    currency = optional_text(body, "currency") or "KRW"
    amount = required_amount(body, "amount", currency)
    return {"merchant_uid": merchant_uid, "amount": amount, "currency": currency}
